/**
 * Section 1: the official memory server (@modelcontextprotocol/server-memory) and ours, same
 * entities, same calls in the same order, both over real stdio with the SDK client.
 */
import { Queries } from "../lib/corpus.js";
import type { Workspace } from "../lib/preload.js";
import type { Section, Series } from "../lib/report.js";
import { IN_PROCESS, type Running, rssOf, startOurs, startPeer } from "../lib/servers.js";
import { bytes, count, ms, ratio, type Summary, sample, settle } from "../lib/stats.js";

export interface PeerPlan {
  sizes: number[];
  /** Timed calls per operation. */
  samples: (n: number, who: "peer" | "ours") => number;
}

type Op =
  | "store (new entity)"
  | "store (update existing)"
  | "query (two-word text)"
  | "query (exact name/key)";
const OPS: Op[] = [
  "store (new entity)",
  "store (update existing)",
  "query (two-word text)",
  "query (exact name/key)",
];

interface Measured {
  startMs: number;
  rss: number;
  ops: Record<Op, Summary>;
}

/** The calls each server gets for one operation; `q` is seeded identically for both servers. */
function calls(
  who: "peer" | "ours",
  s: Running,
  q: Queries,
  prefix: string,
): Record<Op, (i: number) => Promise<unknown>> {
  if (who === "peer") {
    return {
      "store (new entity)": (i) =>
        s.call("create_entities", {
          entities: [{ name: `${prefix}-${i}`, entityType: "note", observations: [q.sentence()] }],
        }),
      "store (update existing)": () =>
        s.call("add_observations", {
          observations: [{ entityName: q.existingName(), contents: [q.sentence()] }],
        }),
      "query (two-word text)": () => s.call("search_nodes", { query: q.text() }),
      "query (exact name/key)": () => s.call("open_nodes", { names: [q.existingName()] }),
    };
  }
  return {
    "store (new entity)": (i) =>
      s.call("memory_store", { key: `${prefix}-${i}`, value: [q.sentence()], tags: ["note"] }),
    "store (update existing)": () => s.call("memory_store", { key: q.existingName(), value: [q.sentence()] }),
    "query (two-word text)": () => s.call("memory_query", { query: q.text(), limit: 10 }),
    "query (exact name/key)": () => s.call("memory_query", { key: q.existingName() }),
  };
}

async function measure(who: "peer" | "ours", ws: Workspace, n: number, samples: number): Promise<Measured> {
  const s =
    who === "peer"
      ? await startPeer(await ws.peer(`peer-${n}`, n))
      : await startOurs(await ws.ours(`ours-peer-${n}`, n), 120_000, IN_PROCESS);
  try {
    const rss = rssOf(s.pid)?.rss ?? Number.NaN;
    await settle();
    const q = new Queries(n, 0x5eed0 + n);
    const fns = calls(who, s, q, "bench-new");
    // Warm-up (JIT, caches) draws from its own stream, so both servers get the same timed calls even
    // though the peer warms up less where each of its calls is slow.
    const warm = calls(who, s, new Queries(n, 0x3a3a + n), "bench-warm");
    const ops = {} as Record<Op, Summary>;
    const warmup = who === "ours" || n <= 1_000 ? 30 : n <= 10_000 ? 10 : 3;
    for (const op of OPS) {
      await sample(warmup, warm[op], 0);
      ops[op] = await sample(samples, fns[op], 0);
    }
    return { startMs: s.startMs, rss, ops };
  } finally {
    await s.close();
  }
}

export async function peerSection(ws: Workspace, plan: PeerPlan, log: (m: string) => void) {
  const rows: string[][] = [];
  const startRows: string[][] = [];
  const chart: Series[] = [
    { label: "peer: create_entities", color: "#d62728", dashed: true, points: [] },
    { label: "peer: search_nodes", color: "#ff7f0e", dashed: true, points: [] },
    { label: "peer: open_nodes", color: "#8c564b", dashed: true, points: [] },
  ];
  const results: Array<{ n: number; peer: Measured; ours: Measured }> = [];
  for (const n of plan.sizes) {
    log(`peer comparison: ${count(n)} entries: official server`);
    const peer = await measure("peer", ws, n, plan.samples(n, "peer"));
    log(`peer comparison: ${count(n)} entries: ours`);
    const ours = await measure("ours", ws, n, plan.samples(n, "ours"));
    results.push({ n, peer, ours });
    for (const op of OPS) {
      const p = peer.ops[op];
      const o = ours.ops[op];
      rows.push([
        op,
        count(n),
        ms(p.p50),
        ms(p.p95),
        ms(o.p50),
        ms(o.p95),
        ratio(p.p50, o.p50),
        ratio(p.p95, o.p95),
        `${p.n} / ${o.n}`,
      ]);
    }
    startRows.push([
      count(n),
      ms(peer.startMs),
      ms(ours.startMs),
      ratio(peer.startMs, ours.startMs),
      bytes(peer.rss),
      bytes(ours.rss),
    ]);
    (chart[0] as Series).points.push({ n, ms: peer.ops["store (new entity)"].p50 });
    (chart[1] as Series).points.push({ n, ms: peer.ops["query (two-word text)"].p50 });
    (chart[2] as Series).points.push({ n, ms: peer.ops["query (exact name/key)"].p50 });
  }
  const section: Section = {
    title: "1. Against the official memory server (stdio, same workload, same run)",
    intro:
      "Both servers start from a file holding the same N entities (name, type, 2-3 observation sentences from a Zipf-distributed 20k-word vocabulary) and get the same calls in the same order from the SDK client over stdio. Peer: `create_entities`, `add_observations`, `search_nodes`, `open_nodes`; ours: `memory_store` (new key / existing key), `memory_query` with `query` (limit 10) and with `key`. Text queries are two adjacent words of a stored entity, never repeated.",
    tables: [
      {
        headers: [
          "operation",
          "N",
          "peer p50",
          "peer p95",
          "ours p50",
          "ours p95",
          "peer/ours p50",
          "peer/ours p95",
          "calls peer / ours",
        ],
        rows,
      },
      {
        title:
          "Start-up: spawn until `initialize` is answered (includes loading the file; ours builds its search index in the background after that)",
        headers: [
          "N",
          "peer start-up",
          "ours start-up",
          "peer/ours",
          "peer RSS after start",
          "ours RSS after start",
        ],
        rows: startRows,
      },
    ],
    notes: [
      "Ours fsyncs the journal before every acknowledgement; the peer does not fsync at all (it writes a temp file and renames it), so durability favours ours.",
      "The peer reads and parses its whole file on every call and rewrites it on every write, so its cost grows linearly with N; `search_nodes` also returns every match (unbounded), ours returns the 10 best by BM25.",
      "The peer's start-up is lazy (it reads the file on the first call); ours loads the store before answering `initialize` and builds the search index in the background (ranked queries wait for it).",
    ],
  };
  return { section, chart, results };
}
