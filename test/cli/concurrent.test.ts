/**
 * Processes sharing one store, seen through their session records: `debug --concurrent` and
 * `stats --concurrent` list the running servers (and mark a killed one stale), and
 * `performance-report` merges their real per-tool latencies.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Connected, connect, ok, removeProject, tempProject } from "../helpers.js";
import { cli, cliJson } from "./run.js";

interface Proc {
  pid: number;
  kind: string;
  client?: string;
  status: string;
  calls: number;
}

let dir: string;
let a: Connected;
let b: Connected;

beforeAll(async () => {
  dir = tempProject();
  // Heartbeats every 200 ms so the records are fresh without waiting for the default 5 s.
  const env = { MEMORY_BANK_SESSION_INTERVAL_MS: "200" };
  [a, b] = await Promise.all([connect(dir, [], env), connect(dir, [], env)]);
});

afterAll(async () => {
  await a?.close().catch(() => {});
  await b?.close().catch(() => {});
  removeProject(dir);
});

describe("two servers serving one store", () => {
  it("debug --concurrent lists both with their client and what they have done", async () => {
    for (let i = 0; i < 20; i++) await ok(a.client, "memory_store", { key: `a${i}`, value: `from a ${i}` });
    await ok(b.client, "batch_store", {
      entries: Array.from({ length: 200 }, (_, i) => ({ key: `b${i}`, value: i })),
    });
    for (let i = 0; i < 5; i++) await ok(b.client, "memory_query", { query: "from a" });
    await new Promise((r) => setTimeout(r, 500));

    const d = await cliJson<{ processes: Proc[] }>(dir, ["debug", "--concurrent"]);
    const servers = d.processes.filter((p) => p.kind === "server");
    expect(servers.map((p) => p.pid).sort()).toEqual([a.pid, b.pid].sort());
    for (const p of servers) expect(p).toMatchObject({ status: "alive", client: "memory-bank-test 1.0.0" });
    expect(servers.find((p) => p.pid === a.pid)?.calls).toBe(20);
    expect(servers.find((p) => p.pid === b.pid)?.calls).toBe(6);

    const table = await cli(dir, ["debug", "--concurrent"]);
    expect(table.stdout).toMatch(
      new RegExp(`^\\s*${a.pid}\\s+server\\s+memory-bank-test 1.0.0\\s+alive`, "m"),
    );
    const stats = await cliJson<{ processes: Proc[] }>(dir, ["stats", "--concurrent"]);
    expect(stats.processes.filter((p) => p.kind === "server")).toHaveLength(2);
  });

  it("performance-report shows per-operation latencies and batch throughput from their records", async () => {
    const r = await cliJson<{
      alive: number;
      operations: Array<{
        op: string;
        count: number;
        p50Ms: number;
        p95Ms: number;
        maxMs: number;
        itemsPerSec?: number;
      }>;
    }>(dir, ["performance-report"]);
    expect(r.alive).toBeGreaterThanOrEqual(2);
    const store = r.operations.find((o) => o.op === "memory_store");
    expect(store?.count).toBe(20);
    expect(store?.p50Ms).toBeGreaterThan(0);
    expect(store?.p95Ms).toBeGreaterThanOrEqual(store?.p50Ms ?? 0);
    expect(store?.p95Ms).toBeLessThanOrEqual(store?.maxMs ?? 0);
    const batch = r.operations.find((o) => o.op === "batch_store");
    expect(batch?.count).toBe(1);
    expect(batch?.itemsPerSec).toBeGreaterThan(0);
    expect(r.operations.find((o) => o.op === "memory_query")?.count).toBe(5);
    const text = await cli(dir, ["performance-report"]);
    expect(text.stdout).toMatch(/^memory_store\s+20\s+0\s+/m);
  });

  it("marks the record of a killed server stale, and of a closed one ended", async () => {
    process.kill(b.pid as number, "SIGKILL");
    await b.close().catch(() => {});
    await a.close();
    const d = await cliJson<{ processes: Proc[] }>(dir, ["debug", "--concurrent"]);
    expect(d.processes.find((p) => p.pid === b.pid)?.status).toBe("stale");
    // Ended processes are history, not concurrency: only --verbose lists them.
    expect(d.processes.find((p) => p.pid === a.pid)).toBeUndefined();
    const all = await cliJson<{ processes: Proc[] }>(dir, ["debug", "--concurrent", "--verbose"]);
    expect(all.processes.find((p) => p.pid === a.pid)?.status).toBe("ended");
    const table = await cli(dir, ["debug", "--concurrent"]);
    expect(table.stdout).toMatch(new RegExp(`^\\s*${b.pid}\\s+server.*STALE \\(process gone\\)`, "m"));
  });
});
