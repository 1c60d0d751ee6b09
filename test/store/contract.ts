/**
 * The Backend contract (src/store/backend.ts) as one suite that every backend runs: a backend
 * joins by calling `backendContract` with a factory (see json/contract.test.ts and
 * memory/contract.test.ts). What the service relies on is checked here, through the interface
 * only: loading, following other instances' commits, transactions that read their own writes
 * and can refuse on a version check, atomic batches, deletes, observers in commit order,
 * compaction dropping expired entries (where supported), the store's clock, and closing.
 */
import { afterEach, describe, expect, it } from "vitest";
import type { Entry } from "../../src/domain/entry.js";
import { MemoryError } from "../../src/domain/errors.js";
import type { Backend, Change } from "../../src/store/backend.js";
import { entry as storeEntry } from "./entries.js";

export interface BackendFactory {
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

export function backendContract(name: string, factory: BackendFactory): void {
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
      reader.refresh();
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
      writer.refresh();
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
  });
}
