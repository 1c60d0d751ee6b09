/**
 * Section 4: several processes writing one store at once, as several agent sessions do. Each writer
 * is its own process with its own MemoryBank on the same directory: they share the cross-process
 * lock, replay each other's journal tail, and every write is fsynced before it is acknowledged.
 */
import { loadConfig } from "../../src/config/config.js";
import { JsonStore } from "../../src/store/json/json-store.js";
import { gatedChild } from "../lib/children.js";
import type { Workspace } from "../lib/preload.js";
import type { Section } from "../lib/report.js";
import { count, ms, summarize } from "../lib/stats.js";

export interface MultiPlan {
  n: number;
  processes: number[];
  inflight: number[];
  writesPerProcess: number;
}

interface WriterResult {
  id: number;
  latencies: number[];
  wallMs: number;
  startedAt: number;
  endedAt: number;
}

export async function multiprocSection(ws: Workspace, plan: MultiPlan, log: (m: string) => void) {
  const rows: string[][] = [];
  let allExact = true;
  for (const inflight of plan.inflight) {
    for (const p of plan.processes) {
      log(`multi-process: ${p} writer(s), ${inflight} write(s) in flight each`);
      const dir = await ws.ours(`multi-${p}-${inflight}`, plan.n);
      const children = Array.from({ length: p }, (_, id) =>
        gatedChild("writer", { dir, id, count: plan.writesPerProcess, inflight }),
      );
      await Promise.all(children.map((c) => c.ready));
      for (const c of children) c.go();
      const results = (await Promise.all(children.map((c) => c.result))) as WriterResult[];
      const start = Math.min(...results.map((r) => r.startedAt));
      const end = Math.max(...results.map((r) => r.endedAt));
      const total = p * plan.writesPerProcess;
      const lat = summarize(results.flatMap((r) => r.latencies));

      // The check: a fresh reader sees exactly the preloaded entries plus every acknowledged write.
      const store = new JsonStore({ dataPath: loadConfig({ cwd: dir }).dataPath, log: () => {} });
      await store.open();
      const written = store.namespace("multi")?.size ?? 0;
      let missing = 0;
      for (let id = 0; id < p; id++) {
        for (let i = 0; i < plan.writesPerProcess; i++)
          if (!store.get("multi", `writer-${id}/k-${i}`)) missing++;
      }
      const exact = store.size === plan.n + total && written === total && missing === 0;
      allExact &&= exact;
      rows.push([
        String(p),
        String(inflight),
        String(total),
        `${Math.round((total / Math.max(1, end - start)) * 1000)}`,
        ms(lat.p50),
        ms(lat.p95),
        `${store.size} (expected ${plan.n + total})`,
        exact ? "exact" : `WRONG (${missing} missing)`,
      ]);
    }
  }
  const section: Section = {
    title: "4. Several processes writing one store",
    intro: `Each writer is a separate process with its own MemoryBank on the same directory (preloaded with ${count(plan.n)} entries), all released at the same moment; each writes ${plan.writesPerProcess} new keys, keeping 1 or 8 writes in flight. Throughput is all acknowledged writes divided by the time from the first writer's start to the last writer's end.`,
    tables: [
      {
        headers: [
          "processes",
          "in flight per process",
          "writes",
          "aggregate writes/s",
          "p50",
          "p95",
          "entries after",
          "count check",
        ],
        rows,
      },
    ],
    notes: [
      "Every write takes the cross-process lock, replays other writers' journal tail, appends and fsyncs before it is acknowledged; writes in flight in one process share one lock hold, append and fsync (group commit).",
      allExact
        ? "Every run ended with exactly the expected entries: no acknowledged write was lost or duplicated."
        : "A COUNT CHECK FAILED: see the table.",
    ],
  };
  return { section, allExact };
}
