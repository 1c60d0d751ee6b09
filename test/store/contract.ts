/**
 * The Backend contract (src/store/backend.ts) as one suite that every backend runs: a backend
 * joins by calling `backendContract` with a factory (see json/contract.test.ts and
 * memory/contract.test.ts). What the service relies on is checked here, through the interface
 * only: loading, following other instances' commits, transactions that read their own writes
 * and can refuse on a version check, atomic batches, deletes, observers in commit order,
 * compaction dropping expired entries (where supported), the store's clock, and closing.
 *
 * Backends differ in one declared way: how soon another instance sees a commit. "immediate"
 * (the JSON and in-memory stores: the next refresh() shows it) or "eventual" (PostgreSQL: its
 * change feed delivers it within the visibility delay that bench/sections/postgres.ts measures).
 * A case that reads what another instance wrote waits, for an "eventual" backend, up to a bound
 * that only catches a hang; an "immediate" one must show it at the first refresh().
 */
import { afterEach, describe, expect, it } from "vitest";
import type { Entry } from "../../src/domain/entry.js";
import { MemoryError } from "../../src/domain/errors.js";
import type { Backend, Change, TxView } from "../../src/store/backend.js";
import { entry as storeEntry } from "./entries.js";

export interface BackendFactory {
  /** How soon another instance over the same place sees a commit (default "immediate"). */
  visibility?: "immediate" | "eventual";
  /** A new, empty place to store in (a directory, a database schema, a shared memory space). */
  place(): Promise<unknown> | unknown;
  /** A backend over `place`, not opened yet; several may be made over one place. */
  create(place: unknown, options: { isExpired?: (entry: Entry, now: number) => boolean }): Backend;
  /** Removes what `place` holds, after every backend over it is closed. */
  remove?(place: unknown): Promise<void> | void;
}

/** An entry in `namespace` (the contract's cases name the namespace first). */
export function entry(namespace: string, key: string, value: unknown, extra: Partial<Entry> = {}): Entry {
  return { ...storeEntry(key, value, namespace), ...extra };
}

/** key -> value of everything a backend holds. */
function contents(store: Backend): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const e of store.entries()) out[`${e.namespace}/${e.key}`] = e.value;
  return out;
}

/** tx.put of key = value at the next version, as the service writes. */
function bump(tx: TxView, namespace: string, key: string, value: unknown): Entry {
  const prev = tx.get(namespace, key);
  const e = entry(namespace, key, value, { version: (prev?.version ?? 0) + 1 });
  tx.put(e);
  return e;
}

function describeChange(c: Change): string {
  const e = c.entry;
  if (c.kind === "del") return `del ${e.namespace}/${e.key} v${e.version}`;
  return `put ${e.namespace}/${e.key} v${e.version} ${c.previous ? `after v${c.previous.version}` : "new"}`;
}

/** How long an "eventual" backend may take to show another instance's commit before it counts as a hang. */
const HANG_MS = 20_000;

export function backendContract(name: string, factory: BackendFactory): void {
  const eventual = factory.visibility === "eventual";

  /** Waits until `probe` holds after refresh(); an "immediate" backend must hold at once. */
  async function seen(b: Backend, probe: () => boolean, what: string): Promise<void> {
    b.refresh();
    if (probe()) return;
    if (!eventual) throw new Error(`${what}: not visible after refresh()`);
    const start = Date.now();
    while (Date.now() - start < HANG_MS) {
      await new Promise((r) => setTimeout(r, 5));
      b.refresh();
      if (probe()) return;
    }
    throw new Error(`${what}: still not visible after ${HANG_MS} ms`);
  }

  describe(`the Backend contract: ${name}`, () => {
    const opened: Backend[] = [];
    const places: unknown[] = [];
    afterEach(async () => {
      for (const s of opened.splice(0)) await s.close().catch(() => {});
      for (const p of places.splice(0)) await factory.remove?.(p);
    });

    async function place(): Promise<unknown> {
      const p = await factory.place();
      places.push(p);
      return p;
    }

    async function open(at?: unknown, options: Parameters<BackendFactory["create"]>[1] = {}) {
      const store = factory.create(at ?? (await place()), options);
      opened.push(store);
      await store.open();
      return store;
    }

    it("opens empty, with a reset for observers and nothing applied", async () => {
      const store = factory.create(await place(), {});
      opened.push(store);
      const seen: string[] = [];
      store.observe({ applied: (c) => seen.push(c.kind), reset: () => seen.push("reset") });
      await store.open();
      expect(seen).toEqual(["reset"]);
      expect(store.size).toBe(0);
      expect(store.namespaces()).toEqual([]);
      expect([...store.entries()]).toEqual([]);
      expect(store.get("default", "nothing")).toBeUndefined();
      expect(store.status()).toMatchObject({ entries: 0, problems: [] });
    });

    it("stores entries and reads them back by key, by namespace and all together", async () => {
      const store = await open();
      const before = store.revision;
      await store.write((tx) => {
        tx.put(entry("default", "a", 1));
        tx.put(entry("default", "b", { nested: [true] }));
        tx.put(entry("tasks", "a", "x"));
      });
      expect(store.size).toBe(3);
      expect(store.get("default", "b")?.value).toEqual({ nested: [true] });
      expect([...(store.namespace("default")?.keys() ?? [])].sort()).toEqual(["a", "b"]);
      expect(store.namespaces()).toEqual(["default", "tasks"]);
      expect(contents(store)).toEqual({ "default/a": 1, "default/b": { nested: [true] }, "tasks/a": "x" });
      expect(store.revision).toBeGreaterThan(before);
      expect(store.status().entries).toBe(3);
    });

    it("answers a transaction's value, and its reads see its own writes before they commit", async () => {
      const store = await open();
      const seen = await store.write((tx) => {
        tx.put(entry("default", "k", "first"));
        const own = tx.get("default", "k")?.value;
        tx.del("default", "k");
        return { own, afterDel: tx.get("default", "k") };
      });
      expect(seen).toEqual({ own: "first", afterDel: undefined });
      expect(store.get("default", "k")).toBeUndefined();
    });

    it("runs concurrent read-check-write transactions one after another: no update is lost", async () => {
      const store = await open();
      await store.write((tx) => tx.put(entry("default", "counter", 0)));
      await Promise.all(
        Array.from({ length: 25 }, () =>
          store.write((tx) => {
            const current = tx.get("default", "counter");
            if (!current) throw new Error("counter is gone");
            tx.put({ ...current, value: (current.value as number) + 1, version: current.version + 1 });
          }),
        ),
      );
      expect(store.get("default", "counter")).toMatchObject({ value: 25, version: 26 });
    });

    it("a transaction refused by a version check writes nothing; the caller gets its error, others commit", async () => {
      const store = await open();
      await store.write((tx) => tx.put(entry("default", "k", "v1")));
      const ifVersion = (expected: number, value: string) =>
        store.write((tx) => {
          const current = tx.get("default", "k");
          if ((current?.version ?? 0) !== expected) {
            throw new MemoryError(
              "VERSION_CONFLICT",
              `k is at version ${current?.version ?? 0}, not ${expected}`,
            );
          }
          tx.put(entry("default", "k", value, { version: expected + 1 }));
          tx.put(entry("default", `also-${value}`, value));
        });
      const [stale, fresh] = await Promise.allSettled([ifVersion(5, "stale"), ifVersion(1, "fresh")]);
      expect(stale.status).toBe("rejected");
      expect((stale as PromiseRejectedResult).reason).toMatchObject({ code: "VERSION_CONFLICT" });
      expect(fresh.status).toBe("fulfilled");
      expect(contents(store)).toEqual({ "default/k": "fresh", "default/also-fresh": "fresh" });
    });

    it("an atomic batch is all or nothing", async () => {
      const store = await open();
      await store.write(
        (tx) => {
          for (let i = 0; i < 200; i++) tx.put(entry("batch", `k${i}`, i));
        },
        { atomic: true },
      );
      expect(store.namespace("batch")?.size).toBe(200);
      await expect(
        store.write(
          (tx) => {
            for (let i = 0; i < 50; i++) tx.put(entry("half", `k${i}`, i));
            throw new Error("the 51st entry is bad");
          },
          { atomic: true },
        ),
      ).rejects.toThrow(/51st/);
      expect(store.namespace("half")?.size ?? 0).toBe(0);
      expect(store.size).toBe(200);
    });

    it("deletes: the entry is gone, the count drops, observers get the deleted entry", async () => {
      const store = await open();
      const changes: Change[] = [];
      store.observe({ applied: (c) => changes.push(c), reset: () => {} });
      await store.write((tx) => tx.put(entry("default", "k", "v")));
      await store.write((tx) => tx.del("default", "k"));
      await store.write((tx) => tx.del("default", "never-there"));
      expect(store.get("default", "k")).toBeUndefined();
      expect(store.size).toBe(0);
      expect(store.namespaces()).toEqual([]);
      expect(changes.map((c) => [c.kind, c.entry.key, c.entry.value])).toEqual([
        ["put", "k", "v"],
        ["del", "k", "v"],
      ]);
    });

    it("tells observers every applied change once, in commit order, with the entry it replaced", async () => {
      const store = await open();
      const changes: Change[] = [];
      store.observe({ applied: (c) => changes.push(c), reset: () => {} });
      await Promise.all([
        store.write((tx) => tx.put(entry("default", "k", 1))),
        store.write((tx) => tx.put(entry("default", "k", 2))),
        store.write((tx) => tx.put(entry("default", "other", 3))),
      ]);
      expect(changes.map((c) => c.entry.value)).toEqual([1, 2, 3]);
      const second = changes[1];
      expect(second?.kind === "put" ? second.previous?.value : "missing").toBe(1);
    });

    it("a second instance over the same place follows the first's commits on refresh", async () => {
      const at = await place();
      const writer = await open(at);
      const reader = await open(at);
      const followed: Change[] = [];
      reader.observe({ applied: (c) => followed.push(c), reset: () => {} });
      await writer.write((tx) => {
        tx.put(entry("default", "a", 1));
        tx.put(entry("default", "b", 2));
      });
      await writer.write((tx) => tx.del("default", "a"));
      await seen(
        reader,
        () => reader.size === 1 && reader.get("default", "b") !== undefined,
        "writer's commits",
      );
      expect(contents(reader)).toEqual({ "default/b": 2 });
      expect(followed.map((c) => `${c.kind} ${c.entry.key}`)).toEqual(["put a", "put b", "del a"]);
      // Nothing new: refresh changes nothing and tells nobody.
      reader.refresh();
      expect(followed).toHaveLength(3);
      // And the other way round, through a transaction that reads what the writer committed.
      await reader.write((tx) => {
        const b = tx.get("default", "b");
        if (b) tx.put({ ...b, value: 20, version: b.version + 1 });
      });
      await seen(writer, () => writer.get("default", "b")?.version === 2, "reader's update");
      expect(writer.get("default", "b")).toMatchObject({ value: 20, version: 2 });
    });

    it("a new instance loads everything committed before it opened", async () => {
      const at = await place();
      const first = await open(at);
      await first.write((tx) => {
        for (let i = 0; i < 30; i++) tx.put(entry(`ns${i % 3}`, `k${i}`, i));
      });
      await first.write((tx) => tx.del("ns0", "k0"));
      await first.close();
      const second = await open(at);
      expect(second.size).toBe(29);
      expect(second.get("ns1", "k1")?.value).toBe(1);
      expect(second.get("ns0", "k0")).toBeUndefined();
    });

    it("compaction (where offered) keeps live entries and drops the expired ones", async (ctx) => {
      const isExpired = (e: Entry) => e.namespace === "old";
      const store = await open(undefined, { isExpired });
      if (!store.compact) {
        ctx.skip(); // an optional capability; this backend does not offer it
        return;
      }
      await store.write((tx) => {
        tx.put(entry("old", "gone", 1));
        tx.put(entry("kept", "here", 2));
      });
      const r = await store.compact("contract");
      expect(r).toMatchObject({ entries: 1, dropped: 1 });
      expect(contents(store)).toEqual({ "kept/here": 2 });
      await store.write((tx) => tx.put(entry("kept", "after", 3)));
      expect(store.size).toBe(2);
    });

    it("has one clock: now() and a transaction's now are the store's time, close to this machine's", async () => {
      const store = await open();
      const before = Date.now();
      const now = store.now();
      const txNow = await store.write((tx) => tx.now);
      // The store's clock may differ from this process's (store/json/clock.ts), but not by much here.
      expect(Math.abs(now - before)).toBeLessThan(60_000);
      expect(txNow).toBeGreaterThanOrEqual(now - 1000);
      expect(Math.abs(txNow - Date.now())).toBeLessThan(60_000);
    });

    it("refuses writes after close, and says so with UNAVAILABLE", async () => {
      const store = await open();
      await store.write((tx) => tx.put(entry("default", "k", 1)));
      await store.close();
      await expect(store.write((tx) => tx.put(entry("default", "late", 2)))).rejects.toMatchObject({
        code: "UNAVAILABLE",
      });
    });

    it("what is written reads back identical, here and in a fresh instance", async () => {
      const odd = [
        entry("default", "plain", "text"),
        entry("default", "🧠/ключ/鍵", { nested: { deep: [1, 2, { x: null }] } }),
        entry("default", "\ud800", "a lone high surrogate key"),
        entry("default", "\udfff\ud800", "reversed surrogates"),
        entry("default", "\ufffd", "the replacement character, not the same key as \\ud800"),
        entry("default", "\u0001starts-with-marker", 1),
        entry("default", "__proto__", JSON.parse('{"__proto__": {"polluted": true}, "constructor": 1}')),
        entry("other.ns", "plain", "same key, other namespace", {
          tags: ["a", "b"],
          metadata: { why: "x" },
          expiresAt: new Date(Date.now() + 3_600_000).toISOString(),
          retention: "30d@1234abcd",
          type: "episodic",
        }),
        entry("default", "nul-in-value", "a\u0000b\u2028c"),
        entry("default", "numbers", [0, -1, 1e308, -1e-308, 2 ** 53 - 1, 0.1]),
      ];
      const at = await place();
      const a = await open(at);
      await a.write((tx) => {
        for (const e of odd) tx.put(e);
      });
      for (const e of odd) expect(a.get(e.namespace, e.key), JSON.stringify(e.key)).toEqual(e);
      expect(a.size).toBe(odd.length);
      expect(a.namespaces()).toEqual(["default", "other.ns"]);
      await a.close();
      const b = await open(at);
      expect(b.size).toBe(odd.length);
      for (const e of odd) expect(b.get(e.namespace, e.key), JSON.stringify(e.key)).toEqual(e);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    });

    it("keys are unique per namespace: a second put replaces, another namespace is another entry", async () => {
      const a = await open();
      await a.write((tx) => bump(tx, "ns1", "k", "one"));
      await a.write((tx) => bump(tx, "ns1", "k", "two"));
      await a.write((tx) => bump(tx, "ns2", "k", "three"));
      expect(a.size).toBe(2);
      expect(a.get("ns1", "k")).toMatchObject({ value: "two", version: 2 });
      expect(a.get("ns2", "k")).toMatchObject({ value: "three", version: 1 });
      expect(a.namespace("ns1")?.size).toBe(1);
    });

    it("a transaction reads the writes of the transactions committed before it in the same group", async () => {
      const a = await open();
      const [first, second] = await Promise.all([
        a.write((tx) => {
          bump(tx, "g", "k", "first");
          return tx.get("g", "k")?.value;
        }),
        a.write((tx) => bump(tx, "g", "k", "second").version),
      ]);
      expect(first).toBe("first");
      expect(second).toBe(2);
      expect(a.get("g", "k")).toMatchObject({ value: "second", version: 2 });
    });

    it("a transaction that throws changes nothing, here or for a fresh instance; the others commit", async () => {
      const at = await place();
      const a = await open(at);
      const results = await Promise.allSettled([
        a.write((tx) => bump(tx, "t", "ok-1", 1)),
        a.write((tx) => {
          bump(tx, "t", "bad", 1);
          throw new Error("refused by the caller");
        }),
        a.write((tx) => bump(tx, "t", "ok-2", 2)),
      ]);
      expect(results.map((r) => r.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
      expect((results[1] as PromiseRejectedResult).reason.message).toBe("refused by the caller");
      expect(a.get("t", "bad")).toBeUndefined();
      expect(a.size).toBe(2);
      await a.close();
      const b = await open(at);
      expect(b.get("t", "bad")).toBeUndefined();
      expect(b.size).toBe(2);
    });

    it("an entry deleted and re-created in one transaction stands, here and for a fresh instance", async () => {
      const at = await place();
      const a = await open(at);
      await a.write((tx) => bump(tx, "d", "b", 1));
      await a.write((tx) => {
        tx.del("d", "b");
        bump(tx, "d", "b", "again");
      });
      expect(a.get("d", "b")).toMatchObject({ value: "again", version: 1 });
      await a.close();
      const b = await open(at);
      expect(b.get("d", "b")).toMatchObject({ value: "again", version: 1 });
      expect(b.size).toBe(1);
    });

    it("observers get one reset at open, then their own and another instance's changes, in order", async () => {
      const at = await place();
      const other = await open(at);
      await other.write((tx) => bump(tx, "o", "before", 0));
      const events: string[] = [];
      const watched = factory.create(at, {});
      opened.push(watched);
      watched.observe({ applied: (c) => events.push(describeChange(c)), reset: () => events.push("reset") });
      await watched.open();
      expect(watched.get("o", "before")).toBeDefined();
      await watched.write((tx) => bump(tx, "o", "k", 1));
      await watched.write((tx) => bump(tx, "o", "k", 2));
      await watched.write((tx) => tx.del("o", "k"));
      // What existed before open may arrive as the reset alone or as reset plus replayed puts.
      expect(events[0]).toBe("reset");
      expect(events.filter((e) => e.includes("o/k"))).toEqual([
        "put o/k v1 new",
        "put o/k v2 after v1",
        "del o/k v2",
      ]);
      await other.write((tx) => bump(tx, "o", "remote", 1));
      await seen(watched, () => events.includes("put o/remote v1 new"), "remote write observed");
    });

    it("another instance sees an atomic batch whole or not at all, never a part", async () => {
      const at = await place();
      const a = await open(at);
      const b = await open(at);
      const keys = Array.from({ length: 300 }, (_, i) => `batch/${i}`);
      const partial: number[] = [];
      let done = false;
      const watch = (async () => {
        while (!done) {
          b.refresh();
          const n = keys.filter((k) => b.get("atomic", k) !== undefined).length;
          if (n !== 0 && n !== keys.length) partial.push(n);
          await new Promise((r) => setTimeout(r, 1));
        }
      })();
      await a.write(
        (tx) => {
          for (const k of keys) bump(tx, "atomic", k, k);
        },
        { atomic: true },
      );
      await seen(b, () => b.get("atomic", keys[keys.length - 1] as string) !== undefined, "atomic batch");
      done = true;
      await watch;
      expect(partial, "another instance saw part of an atomic batch").toEqual([]);
      expect(keys.every((k) => b.get("atomic", k) !== undefined)).toBe(true);
    });

    it("read-modify-write transactions from two instances never lose an update", async () => {
      const at = await place();
      const a = await open(at);
      const b = await open(at);
      const n = 40;
      const inc = (x: Backend) =>
        x.write((tx) => {
          const cur = tx.get("rmw", "counter");
          const value = ((cur?.value as number | undefined) ?? 0) + 1;
          tx.put(entry("rmw", "counter", value, { version: (cur?.version ?? 0) + 1 }));
          return value;
        });
      const results = await Promise.all(Array.from({ length: n }, (_, i) => (i % 2 === 0 ? inc(a) : inc(b))));
      expect(new Set(results).size, "two increments saw the same value").toBe(n);
      await seen(a, () => a.get("rmw", "counter")?.value === n, "final counter on a");
      await seen(b, () => b.get("rmw", "counter")?.value === n, "final counter on b");
      expect(a.get("rmw", "counter")?.version).toBe(n);
    });

    it("instances over one place agree on the store's clock", async () => {
      const at = await place();
      const a = await open(at);
      const b = await open(at);
      expect(Math.abs(a.now() - b.now())).toBeLessThan(1000);
    });

    it("compaction (where offered) reaches every instance; a fresh one loads what was kept", async (ctx) => {
      const expired = (e: Entry, now: number) => e.expiresAt !== undefined && Date.parse(e.expiresAt) <= now;
      const at = await place();
      const a = await open(at, { isExpired: expired });
      if (!a.compact) {
        ctx.skip(); // an optional capability; this backend does not offer it
        return;
      }
      const b = await open(at);
      await a.write((tx) => {
        tx.put(entry("c", "old", 1, { expiresAt: new Date(Date.now() - 60_000).toISOString() }));
        tx.put(entry("c", "live", 2, { expiresAt: new Date(Date.now() + 3_600_000).toISOString() }));
        tx.put(entry("c", "forever", 3));
      });
      expect((await a.compact("contract"))?.dropped).toBe(1);
      expect(a.get("c", "old")).toBeUndefined();
      expect(a.size).toBe(2);
      await seen(b, () => b.get("c", "old") === undefined && b.size === 2, "compaction on b");
      await a.close();
      await b.close();
      const c = await open(at);
      expect(c.size).toBe(2);
      expect(c.get("c", "forever")?.value).toBe(3);
    });

    it("close() commits what was queued before it", async () => {
      const at = await place();
      const a = await open(at);
      const pending = Array.from({ length: 20 }, (_, i) => a.write((tx) => bump(tx, "q", `k${i}`, i)));
      await a.close();
      await Promise.all(pending);
      const b = await open(at);
      expect(b.size).toBe(20);
    });
  });
}
