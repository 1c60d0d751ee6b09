/**
 * N real server processes (N = 2..8) share one store (hence concurrency.test.ts for the JSON
 * store, test/store/postgres/concurrency.system.test.ts for PostgreSQL) and run a seeded random mix of store, update
 * with ifVersion, delete, batch_store and query on a handful of shared keys. The store compacts
 * every few KiB, so readers also race with compactions. Checked against a model:
 *
 * - no lost update: a key's final version equals the number of acknowledged writes to it, two
 *   acknowledged writes never got the same version, and its value is one that was acknowledged;
 * - counters updated by read + store-with-ifVersion end at exactly the number of acknowledged
 *   increments: a conflict is reported (VERSION_CONFLICT) and never swallowed nor half-applied;
 * - create-only (ifVersion 0) and delete alternate: successful creates minus effective deletes is
 *   0 or 1, and tells whether the key exists at the end;
 * - read-your-writes across processes: a read started after a write was acknowledged (by any
 *   process) sees that write's version or a later one; on a backend whose processes see each
 *   other through a change feed ("eventual", PostgreSQL), by the process that wrote it, and
 *   every process ends with every write once the feed delivered it;
 * - at the end every process answers the same final state.
 *
 * Reproduce a failure with SEED=<seed>; STRESS=1 runs many more operations.
 */
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { afterAll, describe, expect, it } from "vitest";
import { type Connected, call, connect, removeProject, tempProject, textOf } from "../helpers.js";
import { errorCode, exportAll, type Rng, rng, SEED, STRESS } from "./harness.js";

export interface ConcurrencyTarget {
  name: string;
  /** The project config every process's project directory gets. */
  config(): unknown;
  env(): Promise<Record<string, string>> | Record<string, string>;
  /** Each process in a project directory of its own (machines sharing a database). */
  separateProjects: boolean;
  /** "immediate": a read sees every process's acknowledged writes; "eventual": after the feed's delay. */
  visibility: "immediate" | "eventual";
  cleanup?(): Promise<void>;
}

export function concurrencySuite(target: ConcurrencyTarget): void {
  const NS = "conc";
  const PLAIN = ["k0", "k1", "k2", "k3", "k4", "k5"];
  const COUNTERS = ["c0", "c1"];
  const CHURN = ["x0", "x1"];

  const RUNS: Array<{ processes: number; opsPerProcess: number }> = STRESS
    ? [
        { processes: 2, opsPerProcess: 600 },
        { processes: 4, opsPerProcess: 500 },
        { processes: 8, opsPerProcess: 400 },
      ]
    : [
        { processes: 2, opsPerProcess: 200 },
        { processes: 5, opsPerProcess: 120 },
        { processes: 8, opsPerProcess: 70 },
      ];

  /** What the test knows for sure, updated only from acknowledged answers. */
  class Model {
    /** Acknowledged writes per plain key: how many, which values, which versions. */
    writes = new Map<string, { count: number; values: Set<string>; versions: Set<number> }>();
    /** Highest version acknowledged so far per key (plain keys and counters). */
    ackedVersion = new Map<string, number>();
    increments = new Map<string, number>();
    conflicts = 0;
    creates = new Map<string, number>();
    deletes = new Map<string, number>();
    reads = 0;
    behindOthers = 0;
    ops = 0;
    failures: string[] = [];

    wrote(key: string, value: unknown, p: number, version?: number): void {
      const w = this.writes.get(key) ?? { count: 0, values: new Set(), versions: new Set() };
      w.count++;
      w.values.add(JSON.stringify(value));
      if (version !== undefined) {
        if (w.versions.has(version))
          this.failures.push(`two acknowledged writes of ${key} got version ${version}`);
        w.versions.add(version);
        this.acked(key, version, p);
      }
      this.writes.set(key, w);
    }

    /** Highest version acknowledged to each process, per key. */
    ackedBy = new Map<number, Map<string, number>>();

    acked(key: string, version: number, p: number): void {
      this.ackedVersion.set(key, Math.max(this.ackedVersion.get(key) ?? 0, version));
      const own = this.ackedBy.get(p) ?? new Map<string, number>();
      own.set(key, Math.max(own.get(key) ?? 0, version));
      this.ackedBy.set(p, own);
    }

    /** The version a read by process `p` must reach: any process's acks, or (feed) its own. */
    floor(key: string, p: number, visibility: "immediate" | "eventual"): number {
      if (visibility === "immediate") return this.ackedVersion.get(key) ?? 0;
      return this.ackedBy.get(p)?.get(key) ?? 0;
    }
  }

  async function read(client: Client, key: string): Promise<{ value: unknown; version: number } | undefined> {
    const r = await call(client, "memory_query", { key, namespace: NS });
    if (r.isError) throw new Error(`read of ${key} failed: ${textOf(r)}`);
    const results = (r.structuredContent as { results: Array<{ value: unknown; version: number }> }).results;
    return results[0];
  }

  async function worker(
    p: number,
    client: Client,
    ops: number,
    model: Model,
    random: Rng,
    hasDelete: boolean,
    visibility: "immediate" | "eventual",
  ) {
    for (let i = 0; i < ops; i++) {
      model.ops++;
      const roll = random();
      if (roll < 0.28) {
        // Plain overwrite.
        const key = random.pick(PLAIN);
        const value = { p, i };
        const r = await call(client, "memory_store", { key, value, namespace: NS });
        if (r.isError) model.failures.push(`store ${key} by p${p}: ${textOf(r)}`);
        else
          model.wrote(key, value, p, (r.structuredContent as { entry: { version: number } }).entry.version);
      } else if (roll < 0.52) {
        // Read-modify-write of a counter with optimistic concurrency.
        const key = random.pick(COUNTERS);
        const floor = model.floor(key, p, visibility);
        const current = await read(client, key);
        const version = current?.version ?? 0;
        if (version < floor)
          model.failures.push(`p${p} read ${key} at version ${version} after ${floor} was acknowledged`);
        const r = await call(client, "memory_store", {
          key,
          value: ((current?.value as number | undefined) ?? 0) + 1,
          namespace: NS,
          ifVersion: version,
        });
        const code = errorCode(r);
        if (code === undefined) {
          const got = (r.structuredContent as { entry: { version: number } }).entry.version;
          if (got !== version + 1)
            model.failures.push(`${key} stored with ifVersion ${version} became version ${got}`);
          model.increments.set(key, (model.increments.get(key) ?? 0) + 1);
          model.acked(key, got, p);
        } else if (code === "VERSION_CONFLICT") {
          model.conflicts++;
        } else {
          model.failures.push(`counter ${key} by p${p}: ${textOf(r)}`);
        }
      } else if (roll < 0.64) {
        // A batch over distinct plain keys, sometimes atomic.
        const keys = [...PLAIN].sort(() => random() - 0.5).slice(0, 2 + random.int(3));
        const entries = keys.map((key, j) => ({ key, value: { p, i, j } }));
        const atomic = random() < 0.5;
        const r = await call(client, "batch_store", { entries, namespace: NS, atomic });
        const out = r.structuredContent as { stored: number; updated: number; failed: number } | undefined;
        if (r.isError || !out || out.failed !== 0 || out.stored + out.updated !== entries.length) {
          model.failures.push(`batch by p${p}: ${textOf(r)}`);
        } else {
          for (const e of entries) model.wrote(e.key, e.value, p);
        }
      } else if (roll < 0.82) {
        // A read of a plain key or counter: never older than what was acknowledged before it began.
        const key = random.pick([...PLAIN, ...COUNTERS]);
        const floor = model.floor(key, p, visibility);
        const anyFloor = model.ackedVersion.get(key) ?? 0;
        const got = await read(client, key);
        model.reads++;
        // Allowed on a feed (within its delay), and counted: how often a read on one process met
        // a write another had acknowledged but this one had not received yet.
        if ((got?.version ?? 0) < anyFloor) model.behindOthers++;
        if ((got?.version ?? 0) < floor) {
          model.failures.push(
            `p${p} read ${key} at version ${got?.version ?? 0} after ${floor} was acknowledged`,
          );
        }
      } else {
        // Create-only and delete on churn keys.
        const key = random.pick(CHURN);
        if (hasDelete && random() < 0.5) {
          const r = await call(client, "memory_delete", { key, namespace: NS });
          if (r.isError) model.failures.push(`delete ${key} by p${p}: ${textOf(r)}`);
          else if (deletedCount(r.structuredContent) > 0)
            model.deletes.set(key, (model.deletes.get(key) ?? 0) + 1);
        } else {
          const r = await call(client, "memory_store", { key, value: { p, i }, namespace: NS, ifVersion: 0 });
          const code = errorCode(r);
          if (code === undefined) model.creates.set(key, (model.creates.get(key) ?? 0) + 1);
          else if (code === "VERSION_CONFLICT") model.conflicts++;
          else model.failures.push(`create ${key} by p${p}: ${textOf(r)}`);
        }
      }
    }
  }

  /** memory_delete's answer, whatever shape it settles on: a count, a list, or a flag. */
  function deletedCount(out: unknown): number {
    const o = out as { deleted?: unknown; count?: unknown } | undefined;
    if (typeof o?.deleted === "number") return o.deleted;
    if (typeof o?.deleted === "boolean") return o.deleted ? 1 : 0;
    if (Array.isArray(o?.deleted)) return o.deleted.length;
    if (typeof o?.count === "number") return o.count;
    throw new Error(`cannot read memory_delete's answer: ${JSON.stringify(out)}`);
  }

  const dirs: string[] = [];
  afterAll(async () => {
    for (const d of dirs) removeProject(d);
    await target.cleanup?.();
  });

  /**
   * Waits until every process has applied every other's writes: each writes a barrier key after
   * its last operation, and a process that sees all barriers has applied everything committed
   * before them (a feed applies changes in commit order).
   */
  async function converge(servers: Connected[]): Promise<void> {
    await Promise.all(
      servers.map((s, p) =>
        call(s.client, "memory_store", { key: `barrier/${p}`, value: p, namespace: "barrier" }),
      ),
    );
    const deadline = Date.now() + 30_000;
    for (const s of servers) {
      for (let p = 0; p < servers.length; p++) {
        while (
          (
            (await call(s.client, "memory_query", { key: `barrier/${p}`, namespace: "barrier" }))
              .structuredContent as { results: unknown[] }
          ).results.length === 0
        ) {
          if (Date.now() > deadline) throw new Error(`barrier/${p} never reached a process`);
          await new Promise((r) => setTimeout(r, 5));
        }
      }
    }
  }

  describe(`${target.name}: concurrent processes on one store`, () => {
    for (const [run, { processes, opsPerProcess }] of RUNS.entries()) {
      const seed = SEED + run;
      it(`${processes} processes x ${opsPerProcess} random ops (seed ${seed}): no lost update, conflicts reported, reads never stale`, async () => {
        const env = await target.env();
        const shared = target.separateProjects ? undefined : tempProject(target.config());
        const projectOf = () => {
          const d = shared ?? tempProject(target.config());
          dirs.push(d);
          return d;
        };
        const projects = Array.from({ length: processes }, projectOf);
        const dir = projects[0] as string;
        const servers: Connected[] = await Promise.all(projects.map((d) => connect(d, [], env)));
        try {
          const first = servers[0] as Connected;
          const { tools } = await first.client.listTools();
          const hasDelete = tools.some((t) => t.name === "memory_delete");
          const model = new Model();
          await Promise.all(
            servers.map((s, p) =>
              worker(
                p,
                s.client,
                opsPerProcess,
                model,
                rng(seed * 31 + p),
                hasDelete,
                target.visibility,
              ).catch((error: unknown) => {
                // A dead server is a failure of its own: show what it said before dying.
                throw new Error(`process ${p}: ${(error as Error).message}\n${s.stderr().slice(-4000)}`);
              }),
            ),
          );
          expect(model.failures).toEqual([]);
          expect(model.ops).toBe(processes * opsPerProcess);
          if (target.visibility === "eventual") await converge(servers);

          const final = await exportAll(first.client, dir);
          for (const key of PLAIN) {
            const w = model.writes.get(key);
            const e = final.get(`${NS}/${key}`);
            if (!w) {
              expect(e, key).toBeUndefined();
              continue;
            }
            expect(e?.version, `${key}: every acknowledged write bumped the version once`).toBe(w.count);
            expect(w.values.has(JSON.stringify(e?.value)), `${key}: final value was acknowledged`).toBe(true);
          }
          for (const key of COUNTERS) {
            const n = model.increments.get(key) ?? 0;
            const e = final.get(`${NS}/${key}`);
            expect(e?.value ?? 0, `${key}: one step per acknowledged increment`).toBe(n);
            expect(e?.version ?? 0, key).toBe(n);
          }
          for (const key of CHURN) {
            const diff = (model.creates.get(key) ?? 0) - (model.deletes.get(key) ?? 0);
            expect([0, 1], `${key}: creates and deletes alternate`).toContain(diff);
            expect(final.has(`${NS}/${key}`), `${key} exists iff created more than deleted`).toBe(diff === 1);
          }

          // Every process answers the same final state.
          for (const s of servers) {
            for (const key of [...PLAIN, ...COUNTERS, ...CHURN]) {
              const got = await read(s.client, key);
              const e = final.get(`${NS}/${key}`);
              expect(got ? { value: got.value, version: got.version } : undefined, key).toEqual(
                e ? { value: e.value, version: e.version } : undefined,
              );
            }
          }
          process.stderr.write(
            `concurrency seed ${seed}: ${processes} processes x ${opsPerProcess} ops, ${model.reads} checked reads (${model.behindOthers} behind another process's acknowledged write), ${model.conflicts} conflicts reported, delete ${hasDelete ? "on" : "not registered"}\n`,
          );
        } finally {
          await Promise.all(servers.map((s) => s.close().catch(() => {})));
        }
      }, 120_000);
    }
  });
}
