/**
 * Resource limits, measured: batch_store never has more than batchtools.maxConcurrent chunks in
 * flight, parallel_query never more than performance.concurrentQueries queries, and a batch larger
 * than batchSize is cut into chunks of performance.batchWriteSize entries, each one transaction.
 * The executor's own measurement (runBatch's peakInFlight) and the store's (transactions in
 * flight, entries per transaction) are both checked.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import type { BatchOptions, BatchReport } from "../../src/service/executor.js";

const reports: Array<{ options: BatchOptions; items: number; report: BatchReport<unknown> }> = [];

vi.mock("../../src/service/executor.js", async (importOriginal) => {
  const actual = await importOriginal<typeof import("../../src/service/executor.js")>();
  return {
    ...actual,
    runBatch: async <T, R>(
      items: readonly T[],
      work: (item: T, i: number) => Promise<R>,
      options: BatchOptions,
    ) => {
      const report = await actual.runBatch(items, work, options);
      reports.push({ options, items: items.length, report: report as BatchReport<unknown> });
      return report;
    },
  };
});

const { resolveConfig } = await import("../../src/config/config.js");
const { MemoryBank } = await import("../../src/service/bank.js");
const { JsonStore } = await import("../../src/store/json/json-store.js");
const { dataPath, removeDir, tempDir } = await import("../store/json/fixtures.js");

/** The JSON store, counting write transactions in flight and the entries each one writes. */
class MeasuredStore extends JsonStore {
  inFlight = 0;
  peak = 0;
  sizes: number[] = [];
  override async write<R>(
    fn: Parameters<JsonStore["write"]>[0],
    options?: Parameters<JsonStore["write"]>[1],
  ) {
    this.inFlight++;
    this.peak = Math.max(this.peak, this.inFlight);
    try {
      return (await super.write((tx) => {
        let n = 0;
        const r = fn({
          now: tx.now,
          get: (ns, k) => tx.get(ns, k),
          put: (e) => {
            n++;
            tx.put(e);
          },
          del: (ns, k) => tx.del(ns, k),
        });
        this.sizes.push(n);
        return r;
      }, options)) as R;
    } finally {
      this.inFlight--;
    }
  }
}

let dirs: string[] = [];
afterEach(() => {
  for (const d of dirs) removeDir(d);
  dirs = [];
  reports.length = 0;
});

async function bankWith(memory: Record<string, unknown>) {
  const dir = tempDir();
  dirs.push(dir);
  const loaded = resolveConfig({ memory }, dir);
  const store = new MeasuredStore({ dataPath: dataPath(dir), log: () => {} });
  const bank = await MemoryBank.open(
    { ...loaded, dataPath: dataPath(dir) },
    { backend: store, log: () => {} },
  );
  return { bank, store };
}

describe("batch_store limits", () => {
  for (const [maxConcurrent, batchSize, batchWriteSize] of [
    [3, 100, 10],
    [1, 50, 7],
    [8, 40, 5],
  ] as const) {
    it(`maxConcurrent ${maxConcurrent}, batchSize ${batchSize}, batchWriteSize ${batchWriteSize}: peak and chunks respected`, async () => {
      const { bank, store } = await bankWith({
        batchtools: { maxConcurrent, batchSize },
        performance: { batchWriteSize },
      });
      const n = 1000;
      const out = await bank.batchStore({
        entries: Array.from({ length: n }, (_, i) => ({ key: `k${i}`, value: i })),
      });
      expect(out).toMatchObject({ stored: n, failed: 0 });
      // Executor chunks hold batchSize transactions (of batchWriteSize entries each).
      const cap = Math.min(maxConcurrent, batchSize, Math.ceil(n / batchWriteSize));
      expect(store.peak).toBeLessThanOrEqual(cap);
      // The limit is reached, not only respected: chunks really run side by side.
      expect(store.peak).toBe(cap);
      const report = reports.find((r) => r.options.concurrency === maxConcurrent);
      expect(report?.report.peakInFlight).toBeLessThanOrEqual(cap);
      expect(Math.max(...store.sizes)).toBeLessThanOrEqual(batchWriteSize);
      expect(store.sizes.reduce((a, b) => a + b, 0)).toBe(n);
      expect(store.sizes.length).toBe(Math.ceil(n / batchWriteSize));
      await bank.close();
    });
  }

  it("an atomic batch is one transaction whatever its size", async () => {
    const { bank, store } = await bankWith({ performance: { batchWriteSize: 10 } });
    const out = await bank.batchStore({
      entries: Array.from({ length: 500 }, (_, i) => ({ key: `a${i}`, value: i })),
      atomic: true,
    });
    expect(out).toMatchObject({ stored: 500, failed: 0 });
    expect(store.sizes).toEqual([500]);
    await bank.close();
  });
});

describe("parallel_query limits", () => {
  it("runs at most performance.concurrentQueries queries at once", async () => {
    const { bank } = await bankWith({ performance: { concurrentQueries: 4 } });
    await bank.batchStore({
      entries: Array.from({ length: 50 }, (_, i) => ({ key: `q${i}`, value: `word${i}` })),
    });
    reports.length = 0;
    const out = await bank.parallelQuery({ queries: Array.from({ length: 60 }, (_, i) => `word${i}`) });
    expect(out.results).toHaveLength(60);
    const report = reports.find((r) => r.items === 60);
    expect(report?.options.concurrency).toBe(4);
    expect(report?.report.peakInFlight).toBeLessThanOrEqual(4);
    await bank.close();
  });
});
