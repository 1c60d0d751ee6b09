/**
 * Section 3: the seed configuration's batchtools promises, each as a ratio of two ways to do the
 * same work, measured side by side in one run.
 */
import { runChild } from "../lib/children.js";
import { Queries } from "../lib/corpus.js";
import type { Workspace } from "../lib/preload.js";
import type { Section } from "../lib/report.js";
import { type Running, startOurs } from "../lib/servers.js";
import { count, median, ms, ratio } from "../lib/stats.js";

export interface ClaimsPlan {
  /** Entries preloaded in the store the calls run against. */
  n: number;
  batchEntries: number;
  batchRounds: number;
  queryRounds: number;
  /** Entries for the index build comparison. */
  buildN: number;
  buildRounds: number;
  /** Entries for export/import and cleanup (in-process, fresh copies per run). */
  exchangeN: number;
  exchangeRounds: number;
}

interface Row {
  claim: string;
  seed: string;
  fast: string;
  fastMs: number | undefined;
  slow: string;
  slowMs: number | undefined;
  note?: string;
}

async function timeIt(fn: () => Promise<unknown>): Promise<number> {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

async function batchVsSequential(s: Running, plan: ClaimsPlan, q: Queries) {
  const seq: number[] = [];
  const batch: number[] = [];
  for (let r = 0; r < plan.batchRounds; r++) {
    const values = Array.from({ length: plan.batchEntries }, () => [q.sentence()]);
    seq.push(
      await timeIt(async () => {
        for (let i = 0; i < plan.batchEntries; i++) {
          await s.call("memory_store", { key: `seq-${r}/${i}`, value: values[i], tags: ["bench"] });
        }
      }),
    );
    const entries = values.map((value, i) => ({ key: `batch-${r}/${i}`, value, tags: ["bench"] }));
    batch.push(
      await timeIt(async () => {
        const out = await s.call("batch_store", { entries });
        const stored = (out.structuredContent as { stored: number }).stored;
        if (stored !== plan.batchEntries)
          throw new Error(`batch_store stored ${stored} of ${plan.batchEntries}`);
      }),
    );
  }
  return { seq: median(seq), batch: median(batch) };
}

async function parallelVsSequentialQueries(s: Running, plan: ClaimsPlan, q: Queries) {
  const seq: number[] = [];
  const par: number[] = [];
  for (let r = 0; r < plan.queryRounds; r++) {
    // Fresh queries for each side and each round: nothing is answered from a result cache.
    const a = Array.from({ length: 20 }, () => q.text());
    const b = Array.from({ length: 20 }, () => q.text());
    seq.push(
      await timeIt(async () => {
        for (const query of a) await s.call("memory_query", { query, limit: 10 });
      }),
    );
    par.push(await timeIt(() => s.call("parallel_query", { queries: b, limit: 10 })));
  }
  return { seq: median(seq), par: median(par) };
}

/** Namespaces of the export/import store (none expires) and of the cleanup store (four expire). */
const EXPORT_NAMESPACES = ["default", "agents", "project-a", "project-b", "notes", "decisions"];
const CLEANUP_NAMESPACES = ["sessions", "tasks", "sparc", "batchtools", "default", "agents"];

interface Exchange {
  exportParallel: number[];
  exportSequential: number[];
  exportSingleFile: number[];
  importBatch: number[];
  importSequential: number[];
  cleanupParallel: number[];
  cleanupSequential: number[];
  entries: number;
  namespaces: number;
  expired: number;
}

export async function claimsSection(ws: Workspace, plan: ClaimsPlan, log: (m: string) => void) {
  const rows: Row[] = [];
  const dir = await ws.ours(`claims-${plan.n}`, plan.n);
  const s = await startOurs(dir);
  try {
    const q = new Queries(plan.n, 0xc1a1);

    log(`claims: batch_store of ${plan.batchEntries} vs ${plan.batchEntries} memory_store calls`);
    const b = await batchVsSequential(s, plan, q);
    rows.push({
      claim: `store ${count(plan.batchEntries)} entries`,
      seed: "400% faster storage with parallel writes",
      fast: "1 batch_store call",
      fastMs: b.batch,
      slow: `${plan.batchEntries} sequential memory_store calls`,
      slowMs: b.seq,
    });

    log("claims: parallel_query of 20 vs 20 memory_query calls");
    const p = await parallelVsSequentialQueries(s, plan, q);
    rows.push({
      claim: "20 two-word text queries",
      seed: "300% faster queries with concurrent search",
      fast: "1 parallel_query call",
      fastMs: p.par,
      slow: "20 sequential memory_query calls",
      slowMs: p.seq,
    });
  } finally {
    await s.close();
  }

  log(`claims: index build of ${count(plan.buildN)} documents, workers vs one thread`);
  const build = await runChild<{ sequential: number[]; parallel: number[]; workers: number }>(
    "index-build",
    { n: plan.buildN, rounds: plan.buildRounds },
    { nodeArgs: ["--expose-gc", "--max-old-space-size=8192"] },
  );
  rows.push({
    claim: `build the search index for ${count(plan.buildN)} entries`,
    seed: "350% faster index updates",
    fast: `SearchIndex.build parallel (${build.workers} workers)`,
    fastMs: median(build.parallel),
    slow: "SearchIndex.build single-threaded",
    slowMs: median(build.sequential),
  });

  log(`claims: export/import and cleanup of ${count(plan.exchangeN)} entries, fast and sequential`);
  const x = await runChild<Exchange>(
    "exchange",
    {
      root: ws.root,
      exportTemplate: await ws.ourTemplateFile(plan.exchangeN, EXPORT_NAMESPACES),
      cleanupTemplate: await ws.ourTemplateFile(plan.exchangeN, CLEANUP_NAMESPACES),
      rounds: plan.exchangeRounds,
    },
    { nodeArgs: ["--max-old-space-size=8192"] },
  );
  const ex = {
    par: median(x.exportParallel),
    seq: median(x.exportSequential),
    one: median(x.exportSingleFile),
  };
  const im = { batch: median(x.importBatch), seq: median(x.importSequential) };
  rows.push({
    claim: `export + import of ${count(x.entries)} entries in ${x.namespaces} namespaces`,
    seed: "250% faster export/import",
    fast: "concurrent-export --parallel, then import of that backup (batchtools)",
    fastMs: ex.par + im.batch,
    slow: "export to one file, then import of it with batchtools off",
    slowMs: ex.one + im.seq,
  });
  rows.push({
    claim: "  of which: export",
    seed: "",
    fast: "concurrent-export, namespaces in parallel",
    fastMs: ex.par,
    slow: `export to one file (concurrent-export one namespace at a time: ${ms(ex.seq)})`,
    slowMs: ex.one,
  });
  rows.push({
    claim: "  of which: import",
    seed: "",
    fast: "import with batchtools (chunks in parallel, group commit)",
    fastMs: im.batch,
    slow: "import with batchtools off (one entry per commit)",
    slowMs: im.seq,
  });
  rows.push({
    claim: `cleanup of ${count(x.expired)} expired entries (4 of 6 namespaces)`,
    seed: "200% faster cleanup",
    fast: "memory_cleanup, namespaces in parallel (batchtools)",
    fastMs: median(x.cleanupParallel),
    slow: "memory_cleanup with batchtools off (one namespace at a time)",
    slowMs: median(x.cleanupSequential),
  });

  const section: Section = {
    title: "3. The seed's batchtools claims, as measured ratios",
    intro: `Stores and queries run against a server preloaded with ${count(plan.n)} entries, over stdio; the index build, export/import and cleanup run in-process (MemoryBank and the CLI's functions), each variant on a fresh copy of the same store. Times are medians of ${plan.batchRounds} (stores) / ${plan.queryRounds} (queries) / ${plan.buildRounds} (builds) / ${plan.exchangeRounds} (export, import, cleanup) rounds; "speed-up" is slow / fast, so the seed's "400% faster" would read 5x (or 4x if it meant 400% of the speed).`,
    tables: [
      {
        headers: ["work", "seed claim", "fast way", "time", "slow way", "time", "speed-up"],
        rows: rows.map((r) => [
          r.claim,
          r.seed,
          r.fast,
          r.fastMs === undefined ? (r.note ?? "pending") : ms(r.fastMs),
          r.slow,
          ms(r.slowMs),
          r.fastMs === undefined ? "pending" : ratio(r.slowMs, r.fastMs),
        ]),
      },
    ],
    notes: [
      build.workers > 0
        ? `The parallel index build used ${build.workers} worker thread(s) for tokenizing and stemming; inserting into the index stays on the main thread.`
        : "On this machine SearchIndex.build runs on one thread even with parallel: true (it only starts workers with at least 3 cores, since with two the workers and the inserting main thread compete), so both builds are the same work.",
      "batch_store writes chunks of `performance.batchWriteSize` entries, each chunk one transaction, concurrent chunks sharing one journal append + fsync (group commit); memory_store pays a round trip and an fsync per call.",
      "parallel_query runs its queries on one thread (queries are CPU-bound, microseconds each); the win is one round trip and one validation instead of twenty.",
    ],
  };
  return { section, rows, build };
}
