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

async function exportTimes(s: Running, rounds: number) {
  const times: number[] = [];
  for (let r = 0; r < rounds; r++) {
    times.push(await timeIt(() => s.call("export", { path: `memory/exports/bench-${r}.json` })));
  }
  return median(times);
}

export async function claimsSection(ws: Workspace, plan: ClaimsPlan, log: (m: string) => void) {
  const rows: Row[] = [];
  const dir = await ws.ours(`claims-${plan.n}`, plan.n);
  const s = await startOurs(dir);
  let toolNames: string[] = [];
  try {
    toolNames = (await s.client.listTools()).tools.map((t) => t.name);
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

    log("claims: export / import");
    const exportMs = await exportTimes(s, 3);
    const hasImport = toolNames.includes("import");
    rows.push({
      claim: `export + import of ${count(plan.n + plan.batchEntries * plan.batchRounds * 2)} entries`,
      seed: "250% faster export/import",
      fast: "concurrent-export / import",
      fastMs: undefined,
      slow: "1 export call (sequential)",
      slowMs: exportMs,
      note: `PENDING: \`concurrent-export\`${hasImport ? "" : " and `import`"} not in this build yet; only the sequential export is measured`,
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

  const hasCleanup = toolNames.includes("memory_cleanup");
  rows.push({
    claim: "cleanup of expired entries",
    seed: "200% faster cleanup",
    fast: "parallel cleanup",
    fastMs: undefined,
    slow: "sequential cleanup",
    slowMs: undefined,
    note: hasCleanup
      ? "memory_cleanup exists but has no benchmark yet"
      : "PENDING: `memory_cleanup` is not in this build yet",
  });

  const section: Section = {
    title: "3. The seed's batchtools claims, as measured ratios",
    intro: `Run against a server preloaded with ${count(plan.n)} entries, over stdio (the index build runs in-process). Times are medians of ${plan.batchRounds} (stores) / ${plan.queryRounds} (queries) / ${plan.buildRounds} (builds) rounds; "speed-up" is slow / fast, so the seed's "400% faster" would read 5x (or 4x if it meant 400% of the speed).`,
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
      `On this ${"machine"} the parallel index build can use at most ${build.workers} worker thread(s); with two cores the main thread (inserting analyzed chunks) competes with them.`,
      "batch_store writes chunks of `performance.batchWriteSize` entries, each chunk one transaction, concurrent chunks sharing one journal append + fsync (group commit); memory_store pays a round trip and an fsync per call.",
      "parallel_query runs its queries on one thread (queries are CPU-bound, microseconds each); the win is one round trip and one validation instead of twenty.",
    ],
  };
  return { section, rows };
}
