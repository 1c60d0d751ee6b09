/**
 * Section 2: our own cost of growth, N up to 1M: start-up, memory, file sizes and latencies, over
 * stdio (the server as agents run it) and in-process (MemoryBank called directly, in a child
 * process so its RSS is the store's own).
 */
import { runChild } from "../lib/children.js";
import { Queries } from "../lib/corpus.js";
import { storeFiles, type Workspace } from "../lib/preload.js";
import type { Section, Series } from "../lib/report.js";
import { IN_PROCESS, rssOf, startOurs } from "../lib/servers.js";
import { bytes, count, ms, type Summary, sample, settle } from "../lib/stats.js";

export interface ScalingPlan {
  sizes: number[];
  samples: (n: number) => number;
}

interface Stdio {
  startMs: number;
  /** Spawn until the first ranked query is answered: it waits for the background index build. */
  readyMs: number;
  rss: number;
  peak: number;
  snapshot: number;
  journal: number;
  store: Summary;
  exact: Summary;
  text: Summary;
}

interface InProc {
  loadMs: number;
  openMs: number;
  indexMs: number;
  rss: number;
  heapUsed: number;
  store: Summary;
  exact: Summary;
  text: Summary;
}

export interface ScalingResult {
  n: number;
  stdio: Stdio;
  inproc: InProc;
}

const pp = (s: Summary) => `${ms(s.p50)} / ${ms(s.p95)}`;

async function overStdio(ws: Workspace, n: number, samples: number): Promise<Stdio> {
  const dir = await ws.ours(`scale-${n}`, n);
  const s = await startOurs(dir, 300_000, IN_PROCESS);
  try {
    const rss = rssOf(s.pid)?.rss ?? Number.NaN;
    const q = new Queries(n, 0xface + n);
    await s.call("memory_query", { query: q.text(), limit: 1 });
    const readyMs = performance.now() - s.spawnedAt;
    await settle();
    const store = await sample(samples, (i) =>
      s.call("memory_store", { key: `bench/new-${i}`, value: [q.sentence()], tags: ["bench"] }),
    );
    const exact = await sample(samples, async () => {
      const r = await s.call("memory_query", { key: q.existingName() });
      if ((r.structuredContent as { results: unknown[] }).results.length !== 1)
        throw new Error("exact key not found");
    });
    const text = await sample(samples, () => s.call("memory_query", { query: q.text(), limit: 10 }));
    const peak = rssOf(s.pid)?.peak ?? Number.NaN;
    const files = storeFiles(dir);
    return { startMs: s.startMs, readyMs, rss, peak, ...files, store, exact, text };
  } finally {
    await s.close();
  }
}

export async function scalingSection(ws: Workspace, plan: ScalingPlan, log: (m: string) => void) {
  const results: ScalingResult[] = [];
  for (const n of plan.sizes) {
    const samples = plan.samples(n);
    log(`scaling: ${count(n)} entries over stdio`);
    const stdio = await overStdio(ws, n, samples);
    log(`scaling: ${count(n)} entries in-process`);
    const dir = await ws.ours(`inproc-${n}`, n);
    const inproc = await runChild<InProc>(
      "inproc",
      { dir, n, samples },
      { nodeArgs: ["--expose-gc", "--max-old-space-size=8192"], timeoutMs: 600_000 },
    );
    results.push({ n, stdio, inproc });
  }
  const section: Section = {
    title: "2. Scaling: 1k to 1M entries",
    intro:
      "Each size starts from a preloaded snapshot (generation 1, empty journal). The server answers `initialize`, stores and key lookups once the store is loaded; the search index builds in the background and ranked queries wait for it. Latencies are timed after the index is ready: p50 / p95 of single calls, one at a time; stores write new keys (journal append + fsync each).",
    tables: [
      {
        title: "Over stdio (server process, SDK client)",
        headers: [
          "N",
          "start-up (spawn → initialize)",
          "index ready (first ranked query answered)",
          "RSS after start",
          "peak RSS",
          "snapshot file",
          "journal after stores",
          "store p50 / p95",
          "exact key p50 / p95",
          "text query p50 / p95",
        ],
        rows: results.map(({ n, stdio: s }) => [
          count(n),
          ms(s.startMs),
          ms(s.readyMs),
          bytes(s.rss),
          bytes(s.peak),
          bytes(s.snapshot),
          bytes(s.journal),
          pp(s.store),
          pp(s.exact),
          pp(s.text),
        ]),
      },
      {
        title: "In-process (MemoryBank called directly)",
        headers: [
          "N",
          "store load (snapshot + journal)",
          "MemoryBank.open (answers)",
          "index ready",
          "RSS with index",
          "JS heap with index",
          "store p50 / p95",
          "exact key p50 / p95",
          "text query p50 / p95",
        ],
        rows: results.map(({ n, inproc: s }) => [
          count(n),
          ms(s.loadMs),
          ms(s.openMs),
          ms(s.indexMs),
          bytes(s.rss),
          bytes(s.heapUsed),
          pp(s.store),
          pp(s.exact),
          pp(s.text),
        ]),
      },
    ],
    notes: [
      "stdio minus in-process is the cost of the protocol: JSON-RPC framing, zod validation of input and output, two pipe hops and the client's own parsing.",
    ],
  };
  const chart: Series[] = [
    {
      label: "ours: memory_store",
      color: "#1f77b4",
      points: results.map((r) => ({ n: r.n, ms: r.stdio.store.p50 })),
    },
    {
      label: "ours: memory_query text",
      color: "#2ca02c",
      points: results.map((r) => ({ n: r.n, ms: r.stdio.text.p50 })),
    },
    {
      label: "ours: memory_query key",
      color: "#17becf",
      points: results.map((r) => ({ n: r.n, ms: r.stdio.exact.p50 })),
    },
  ];
  return { section, chart, results };
}
