/**
 * PostgreSQL restarted, and crashed, in the middle of a load. On a server of this file's own
 * (the run's shared one must not be stopped), two machines: one storing from four concurrent
 * streams, one only reading. The database is stopped (fast shutdown: every session is cut), then
 * started again; later its postmaster is killed with SIGKILL (a crash: recovery from the WAL)
 * and started again. Neither memory-bank process is restarted.
 *
 * - every call in flight or made while the database is down gets a clear error saying what
 *   happened to its data ("nothing was stored", or "may or may not be stored"), never a crash;
 * - the writer reconnects by itself and its writes succeed again;
 * - every acknowledged write is in the database afterwards, crash included (synchronous_commit),
 *   and no write answered "nothing was stored" is;
 * - the reading machine reconnects its feed and ends up with every acknowledged write: nothing
 *   committed while it was cut off is missed.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PostgresCluster } from "../../../bench/lib/postgres-cluster.js";
import { type Connected, call, connect, removeProject, tempProject, textOf } from "../../helpers.js";
import { clusterUrl, dedicatedCluster, postgresConfig } from "./cluster.js";

let cluster: PostgresCluster;
let writer: Connected;
let reader: Connected;
const dirs: string[] = [];

beforeAll(async () => {
  cluster = await dedicatedCluster();
  const env = { MEMORY_BANK_DATABASE_URL: clusterUrl(cluster.info, "postgres") };
  const config = postgresConfig({ postgres: { pollMs: 200, connectTimeoutMs: 2000 } });
  for (let i = 0; i < 2; i++) dirs.push(tempProject(config));
  writer = await connect(dirs[0] as string, [], env);
  reader = await connect(dirs[1] as string, [], env);
});

afterAll(async () => {
  await writer?.close().catch(() => {});
  await reader?.close().catch(() => {});
  for (const d of dirs) removeProject(d);
  await cluster?.destroy();
});

interface Outcome {
  key: string;
  acked?: number;
  error?: string;
}

async function entriesInDatabase(): Promise<Map<string, number>> {
  const pg = (await import("pg")).default;
  const c = new pg.Client({ connectionString: clusterUrl(cluster.info, "postgres") });
  await c.connect();
  try {
    const r = await c.query<{ key: string; version: string }>(
      "SELECT key, version FROM memory_bank.entries WHERE namespace = 'load'",
    );
    return new Map(r.rows.map((row) => [row.key, Number(row.version)]));
  } finally {
    await c.end();
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("PostgreSQL restarted and crashed under load", () => {
  it("clear errors while it is down, reconnects by itself, loses no acknowledged write, misses no change", async () => {
    const outcomes: Outcome[] = [];
    let running = true;
    let n = 0;
    const stream = async (s: number) => {
      while (running) {
        const key = `s${s}/${n++}`;
        const r = await call(
          writer.client,
          "memory_store",
          { key, value: { s, n }, namespace: "load" },
          30_000,
        );
        if (r.isError) outcomes.push({ key, error: textOf(r) });
        else
          outcomes.push({
            key,
            acked: (r.structuredContent as { entry: { version: number } }).entry.version,
          });
        if (r.isError) await sleep(50);
      }
    };
    const acked = () => outcomes.filter((o) => o.acked !== undefined).length;
    const waitForAcks = async (more: number) => {
      const target = acked() + more;
      const deadline = Date.now() + 60_000;
      while (acked() < target) {
        if (Date.now() > deadline)
          throw new Error(
            `writes did not resume: ${JSON.stringify(outcomes.slice(-3))}\n${writer.stderr().slice(-2000)}`,
          );
        await sleep(20);
      }
    };
    const streams = [0, 1, 2, 3].map(stream);
    await waitForAcks(100);

    // 1. Fast shutdown: every session is terminated, calls in flight fail.
    const beforeStop = outcomes.length;
    await cluster.stop();
    await sleep(1500);
    const whileDown = outcomes.slice(beforeStop);
    await cluster.restart();
    await waitForAcks(100);

    // 2. Crash: SIGKILL of the postmaster, recovery from the WAL at the next start.
    const beforeCrash = outcomes.length;
    await cluster.crash();
    await sleep(1500);
    const whileCrashed = outcomes.slice(beforeCrash);
    await cluster.restart();
    await waitForAcks(100);
    running = false;
    await Promise.all(streams);

    const errors = outcomes.filter((o) => o.error !== undefined);
    const kinds = new Map<string, number>();
    for (const e of errors) {
      const m = e.error ?? "";
      const kind = /confirmed the transaction was not committed/.test(m)
        ? "lost during COMMIT, confirmed not committed"
        : /may or may not be stored/.test(m)
          ? "lost during COMMIT, outcome unknown"
          : /refused the connection/.test(m)
            ? "connection refused"
            : /ended the session|starting up or shutting down|crashed or is recovering/.test(m)
              ? "session ended by the server, or server not ready"
              : /was lost/.test(m)
                ? "connection lost"
                : m.slice(0, 80);
      kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
    }
    process.stderr.write(
      `restart under load: ${outcomes.length} calls, ${acked()} acknowledged, ${errors.length} errors (${whileDown.length} during the stop, ${whileCrashed.length} during the crash): ${JSON.stringify(Object.fromEntries(kinds))}\n`,
    );
    expect(errors.length, "the outages were not noticed: the fault was not exercised").toBeGreaterThan(0);
    for (const e of errors) {
      expect(e.error, e.key).toMatch(/PostgreSQL/);
      expect(e.error, e.key).toMatch(/nothing was stored|may or may not be stored/);
      expect(e.error, e.key).not.toMatch(/internal error/i);
    }

    // Durability: every acknowledged write is there, at its version; "nothing was stored" is true.
    const stored = await entriesInDatabase();
    for (const o of outcomes) {
      if (o.acked !== undefined) expect(stored.get(o.key), `acknowledged ${o.key}`).toBe(o.acked);
      else if (/nothing was stored/.test(o.error ?? ""))
        expect(stored.has(o.key), `refused ${o.key}`).toBe(false);
    }

    // The reading machine caught up with everything, including what was written while it was cut off.
    const want = outcomes.filter((o) => o.acked !== undefined).map((o) => o.key);
    const deadline = Date.now() + 30_000;
    let missing: string[] = want;
    while (Date.now() < deadline) {
      const r = await call(reader.client, "memory_query", { namespace: "load", keyPrefix: "s", limit: 1000 });
      const seen = new Set(
        (r.structuredContent as { results: Array<{ key: string }> } | undefined)?.results.map((x) => x.key) ??
          [],
      );
      // Pages of 1000 at most: check through memory_get style lookups once the count is close.
      missing = want.filter((k) => !seen.has(k));
      if (missing.length === 0 || seen.size >= 1000) break;
      await sleep(100);
    }
    if (missing.length > 0) {
      missing = [];
      for (const k of want) {
        const r = await call(reader.client, "memory_query", { key: k, namespace: "load" });
        if ((r.structuredContent as { results: unknown[] }).results.length !== 1) missing.push(k);
      }
    }
    expect(missing, "acknowledged writes the reading machine never saw").toEqual([]);
    expect(reader.stderr()).toMatch(/lost the change feed's connection/);
    expect(reader.stderr()).toMatch(/reconnected to PostgreSQL/);
  }, 240_000);
});
