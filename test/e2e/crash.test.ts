/**
 * SIGKILL a server while it is acknowledging writes: after a restart every acknowledged write is
 * there, and the store opens cleanly (a torn journal tail is cut, never mistaken for data).
 */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connect, ok, removeProject, tempProject } from "../helpers.js";

let dir: string;
beforeAll(() => {
  dir = tempProject();
});
afterAll(() => removeProject(dir));

describe("crash safety", () => {
  it("keeps every acknowledged write across repeated SIGKILLs mid-write", async () => {
    const acked = new Map<string, number>();
    for (let round = 0; round < 4; round++) {
      const s = await connect(dir);
      let stop = false;
      const writers = Array.from({ length: 8 }, async (_, w) => {
        for (let i = 0; !stop; i++) {
          const key = `r${round}/w${w}/${i}`;
          try {
            await ok(s.client, "memory_store", { key, value: i, namespace: "crash" });
            acked.set(key, i);
          } catch {
            return; // the process died under us: this write was never acknowledged
          }
        }
      });
      const batches = (async () => {
        for (let b = 0; !stop; b++) {
          const entries = Array.from({ length: 20 }, (_, i) => ({ key: `r${round}/b${b}/${i}`, value: i }));
          try {
            await ok(s.client, "batch_store", { entries, namespace: "crash", atomic: true });
            for (const e of entries) acked.set(e.key, e.value);
          } catch {
            return;
          }
        }
      })();
      await new Promise((r) => setTimeout(r, 150 + round * 70));
      process.kill(s.pid as number, "SIGKILL");
      stop = true;
      await Promise.allSettled([...writers, batches]);
      await s.close().catch(() => {});
    }
    expect(acked.size).toBeGreaterThan(50);

    const s = await connect(dir);
    try {
      const seen = new Map<string, unknown>();
      let cursor: string | undefined;
      do {
        const page = await ok<{ results: Array<{ key: string; value: unknown }>; nextCursor?: string }>(
          s.client,
          "memory_query",
          { namespace: "crash", keyPrefix: "r", limit: 1000, ...(cursor ? { cursor } : {}) },
        );
        for (const r of page.results) seen.set(r.key, r.value);
        cursor = page.nextCursor;
      } while (cursor);
      for (const [key, value] of acked) expect(seen.get(key), key).toBe(value);
      // Atomic batches are all or nothing: every batch seen is complete.
      const batchCounts = new Map<string, number>();
      for (const key of seen.keys()) {
        const m = /^(r\d+\/b\d+)\//.exec(key);
        if (m?.[1]) batchCounts.set(m[1], (batchCounts.get(m[1]) ?? 0) + 1);
      }
      for (const [batch, n] of batchCounts) expect(n, batch).toBe(20);
    } finally {
      await s.close();
    }
    // The last kill left the lock behind; the clean shutdown above could only compact because the
    // dead holder's lock was taken over at once. The snapshot is complete, parseable JSON.
    const snap = JSON.parse(readFileSync(path.join(dir, "memory", "claude-flow-data.json"), "utf8"));
    expect(snap.entries.length).toBeGreaterThanOrEqual(acked.size);
    expect(readdirSync(path.join(dir, "memory")).filter((f) => f.includes(".lock"))).toEqual([]);
  });
});
