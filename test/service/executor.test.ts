/** The batch executor: bounded concurrency, chunks, retries of transient failures, per-item outcomes. */
import { describe, expect, it } from "vitest";
import { MemoryError } from "../../src/domain/errors.js";
import { runBatch } from "../../src/service/executor.js";

const tick = () => new Promise((r) => setTimeout(r, 1));

describe("runBatch", () => {
  it("never runs more than `concurrency` items at once, and returns outcomes in input order", async () => {
    let running = 0;
    let peak = 0;
    const items = Array.from({ length: 50 }, (_, i) => i);
    const report = await runBatch(
      items,
      async (n) => {
        running++;
        peak = Math.max(peak, running);
        await tick();
        running--;
        return n * 2;
      },
      { concurrency: 4 },
    );
    expect(peak).toBe(4);
    expect(report.peakInFlight).toBe(4);
    expect(report.outcomes.map((o) => (o.ok ? o.value : -1))).toEqual(items.map((n) => n * 2));
  });

  it("finishes a chunk before starting the next", async () => {
    const started: number[] = [];
    const finished: number[] = [];
    await runBatch(
      [0, 1, 2, 3, 4, 5],
      async (n) => {
        started.push(n);
        // The first chunk must be entirely done before item 3 starts.
        if (n === 3) expect(finished.sort()).toEqual([0, 1, 2]);
        await tick();
        finished.push(n);
      },
      { concurrency: 10, chunkSize: 3 },
    );
    expect(started).toHaveLength(6);
  });

  it("retries transient failures and reports permanent ones per item without sinking the rest", async () => {
    const attempts = new Map<number, number>();
    const report = await runBatch(
      [0, 1, 2],
      async (n) => {
        const a = (attempts.get(n) ?? 0) + 1;
        attempts.set(n, a);
        if (n === 0 && a < 3) throw new MemoryError("LOCK_BUSY", "busy");
        if (n === 1) throw new MemoryError("INVALID_INPUT", "bad item");
        return n;
      },
      { concurrency: 2, retries: 3, retryDelayMs: 1 },
    );
    expect(report.outcomes[0]).toMatchObject({ ok: true, value: 0, attempts: 3 });
    expect(report.outcomes[1]).toMatchObject({ ok: false, message: "bad item", attempts: 1 });
    expect(report.outcomes[2]).toMatchObject({ ok: true, value: 2 });
    expect(report.retries).toBe(2);
  });

  it("gives up on a transient failure after `retries` extra attempts", async () => {
    const report = await runBatch(
      [0],
      async () => {
        throw Object.assign(new Error("try again"), { code: "EAGAIN" });
      },
      { concurrency: 1, retries: 2, retryDelayMs: 1 },
    );
    expect(report.outcomes[0]).toMatchObject({ ok: false, attempts: 3 });
  });

  it("reports progress after every item and stops starting items once cancelled", async () => {
    const progress: Array<[number, number]> = [];
    const controller = new AbortController();
    const report = await runBatch(
      Array.from({ length: 10 }, (_, i) => i),
      async (n) => {
        if (n === 2) controller.abort();
        return n;
      },
      { concurrency: 1, signal: controller.signal, onProgress: (d, t) => progress.push([d, t]) },
    );
    expect(progress[0]).toEqual([1, 10]);
    expect(progress.at(-1)).toEqual([10, 10]);
    const ran = report.outcomes.filter((o) => o.ok).length;
    expect(ran).toBe(3);
    expect(report.outcomes[5]).toMatchObject({ ok: false, message: "cancelled before it ran" });
  });
});
