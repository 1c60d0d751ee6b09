/**
 * Server processes standing for different machines: each has its own project directory (its own
 * memory/ with its session records, no shared file at all) and all use one PostgreSQL database.
 *
 * - a write on one machine is visible on every other within the feed's delay (measured here
 *   and printed; bench/sections/postgres.ts gives the distribution);
 * - concurrent stores, read-modify-writes with ifVersion and deletes from every machine lose
 *   nothing, report every conflict, and every machine ends with the same state;
 * - ranked search answers the same on every machine and the same as the JSON store given the
 *   same entries (the index is the project's own, fed by the change feed).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Connected, call, connect, ok, removeProject, tempProject, textOf } from "../../helpers.js";
import { errorCode } from "../../reliability/harness.js";
import { postgresConfig, type TestDatabase, testDatabase } from "./cluster.js";

const MACHINES = 3;
let db: TestDatabase;
const dirs: string[] = [];
let machines: Connected[] = [];

async function machine(schema?: string): Promise<Connected> {
  const dir = tempProject(postgresConfig(schema ? { postgres: { schema } } : {}));
  dirs.push(dir);
  return connect(dir, [], db.env());
}

beforeAll(async () => {
  db = await testDatabase("machines");
  machines = await Promise.all(Array.from({ length: MACHINES }, () => machine()));
});

afterAll(async () => {
  await Promise.all(machines.map((m) => m.close().catch(() => {})));
  for (const d of dirs) removeProject(d);
  await db?.close();
});

type Got = {
  results: Array<{ key: string; value: unknown; version: number; score: number }>;
  nextCursor?: string;
};
const get = (m: Connected, key: string, namespace = "default") =>
  ok<Got>(m.client, "memory_query", { key, namespace }).then((r) => r.results[0]);

/** Polls `m` until `key` reads at `version` or later; returns how long that took (ms). */
async function until(m: Connected, key: string, version: number, namespace = "default"): Promise<number> {
  const start = performance.now();
  for (;;) {
    const r = await get(m, key, namespace);
    if ((r?.version ?? 0) >= version) return performance.now() - start;
    if (performance.now() - start > 20_000) throw new Error(`${key} v${version} not visible after 20 s`);
    await new Promise((res) => setTimeout(res, 2));
  }
}

describe("machines sharing one PostgreSQL database", () => {
  it("a write on one machine is visible on the others within the feed's delay", async () => {
    const delays: number[] = [];
    for (let round = 0; round < 30; round++) {
      const writer = machines[round % MACHINES] as Connected;
      const key = `handoff/${round}`;
      const r = await ok<{ entry: { version: number } }>(writer.client, "memory_store", {
        key,
        value: { round },
      });
      const seen = await Promise.all(
        machines.filter((m) => m !== writer).map((m) => until(m, key, r.entry.version)),
      );
      delays.push(...seen);
    }
    delays.sort((a, b) => a - b);
    const p = (q: number) => delays[Math.min(delays.length - 1, Math.floor(q * delays.length))]?.toFixed(1);
    process.stderr.write(
      `visibility across machines (store acknowledged -> first read that sees it, over stdio): p50 ${p(0.5)} ms, p95 ${p(0.95)} ms, max ${p(1)} ms, n=${delays.length}\n`,
    );
    // Bounded by the poll (200 ms here) even if every notification were lost; the bound only catches a hang.
    expect(delays.length).toBe(30 * (MACHINES - 1));
  });

  it("concurrent stores, ifVersion increments and deletes from every machine: nothing lost, conflicts reported", async () => {
    const PER = 40;
    let increments = 0;
    let conflicts = 0;
    const failures: string[] = [];
    await ok(machines[0]?.client as Connected["client"], "memory_store", {
      key: "counter",
      value: 0,
      namespace: "race",
    });
    await until(machines[1] as Connected, "counter", 1, "race");
    await until(machines[2] as Connected, "counter", 1, "race");
    await Promise.all(
      machines.map(async (m, p) => {
        for (let i = 0; i < PER; i++) {
          // Plain stores of this machine's own keys: read back at once on the same machine.
          const own = await call(m.client, "memory_store", {
            key: `m${p}/k${i}`,
            value: { p, i },
            namespace: "race",
          });
          if (own.isError) failures.push(`store m${p}/k${i}: ${textOf(own)}`);
          const back = await get(m, `m${p}/k${i}`, "race");
          if (JSON.stringify(back?.value) !== JSON.stringify({ p, i }))
            failures.push(`m${p} did not read its own write ${i}`);
          // Read-modify-write of the shared counter: a stale read may conflict, never lose.
          const cur = await get(m, "counter", "race");
          const r = await call(m.client, "memory_store", {
            key: "counter",
            value: ((cur?.value as number) ?? 0) + 1,
            namespace: "race",
            ifVersion: cur?.version ?? 0,
          });
          const code = errorCode(r);
          if (code === undefined) increments++;
          else if (code === "VERSION_CONFLICT") conflicts++;
          else failures.push(`counter by m${p}: ${textOf(r)}`);
          if (i % 5 === 4) {
            const d = await call(m.client, "memory_delete", { key: `m${p}/k${i - 1}`, namespace: "race" });
            if (d.isError) failures.push(`delete by m${p}: ${textOf(d)}`);
          }
        }
      }),
    );
    expect(failures).toEqual([]);
    expect(increments).toBeGreaterThan(0);
    const expectedKeys = MACHINES * PER - MACHINES * (PER / 5) + 1; // + the counter
    // Every machine converges on the same state: the counter at exactly the acknowledged increments.
    for (const m of machines) {
      await until(m, "counter", increments + 1, "race");
      const c = await get(m, "counter", "race");
      expect(c?.value, "one step per acknowledged increment").toBe(increments);
      expect(c?.version).toBe(increments + 1);
      let count = 0;
      for (let tries = 0; tries < 200; tries++) {
        const all = await ok<Got>(m.client, "memory_query", {
          namespace: "race",
          keyPrefix: "",
          limit: 1000,
          maxTokens: 200_000, // every key in one answer
        });
        count = all.results.length;
        if (count === expectedKeys) break;
        await new Promise((res) => setTimeout(res, 50));
      }
      expect(count).toBe(expectedKeys);
    }
    process.stderr.write(
      `machines race: ${increments} increments acknowledged, ${conflicts} conflicts reported\n`,
    );
  });

  it("ranked search answers the same on every machine, and the same as the JSON store", async () => {
    // A store of their own: ranking depends on every entry of the store (term statistics).
    const ranking = await Promise.all([machine("ranking"), machine("ranking")]);
    const corpus = [
      { key: "auth/login-flow", value: "The CLI signs in with the OAuth2 device flow", tags: ["auth"] },
      { key: "notes/misc", value: "remember: the login flow page needs a new screenshot", tags: ["docs"] },
      { key: "db/replication", value: "PostgreSQL streaming replication with two standbys", tags: ["db"] },
      {
        key: "db/backups",
        value: "Nightly pg_dump to object storage",
        tags: ["db", "ops"],
        type: "procedural",
      },
      { key: "ops/deploy", value: { steps: ["build", "push image", "roll out"] }, tags: ["ops"] },
      ...Array.from({ length: 60 }, (_, i) => ({
        key: `filler/${i}`,
        value: `deploy notes ${i} about flow and backups`,
      })),
    ];
    const jsonDir = tempProject();
    dirs.push(jsonDir);
    const json = await connect(jsonDir);
    try {
      for (const target of [ranking[0] as Connected, json]) {
        const r = await ok<{ stored: number }>(target.client, "batch_store", {
          entries: corpus,
          namespace: "search",
        });
        expect(r.stored).toBe(corpus.length);
      }
      for (const m of ranking) await until(m, "filler/59", 1, "search");
      const queries = ["login flow", "replicaton", "pg_dump backups", "deploy", "flow"];
      for (const q of queries) {
        const pages = async (m: Connected) => {
          const out: Array<[string, number]> = [];
          let cursor: string | undefined;
          do {
            const p = await ok<Got>(m.client, "memory_query", {
              query: q,
              namespace: "search",
              limit: 7,
              ...(cursor ? { cursor } : {}),
            });
            out.push(...p.results.map((r) => [r.key, r.score] as [string, number]));
            cursor = p.nextCursor;
          } while (cursor);
          return out;
        };
        const reference = await pages(json);
        expect(reference.length, q).toBeGreaterThan(0);
        for (const m of ranking) expect(await pages(m), `${q} on a postgres machine`).toEqual(reference);
      }
    } finally {
      await json.close();
      for (const m of ranking) await m.close();
    }
  });
});
