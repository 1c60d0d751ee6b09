/**
 * What every Backend must do, written against the Backend interface only, so any backend can be
 * held to it: `backendContract(name, factory)` registers the cases for one backend. Each case
 * gets a fresh, empty store from the factory and may open it several times, each instance
 * standing for another process on the same store.
 *
 * Backends differ in one declared way: how soon another instance sees a commit. "immediate"
 * (the JSON store: the next refresh() shows it) or "eventual" (PostgreSQL: its change feed
 * delivers it within the visibility delay, measured by bench/sections/postgres.ts). A case that
 * reads from another instance waits for "eventual" up to a bound that only catches a hang.
 */
import { describe, expect, it } from "vitest";
import type { Entry } from "../../../src/model.js";
import type { Backend, Change, TxView } from "../../../src/store/backend.js";

export interface ContractStore {
  /** Another instance on the same store (another process, another machine), not opened yet. */
  backend(options?: { isExpired?: (e: Entry, now: number) => boolean }): Backend;
  /** Removes the store. */
  cleanup(): Promise<void>;
}

type Opener = { open(options?: { isExpired?: (e: Entry, now: number) => boolean }): Promise<Backend> };

function opener(s: ContractStore): Opener {
  return {
    async open(options) {
      const b = s.backend(options);
      await b.open();
      return b;
    },
  };
}

export interface ContractTarget {
  visibility: "immediate" | "eventual";
  /** A fresh, empty store. */
  store(): Promise<ContractStore>;
}

let ids = 0;
export function entry(
  namespace: string,
  key: string,
  value: unknown,
  version = 1,
  extra: Partial<Entry> = {},
): Entry {
  const at = new Date().toISOString();
  return {
    id: `contract-${process.pid}-${++ids}`,
    key,
    namespace,
    value,
    type: "semantic",
    tags: [],
    metadata: {},
    createdAt: at,
    updatedAt: at,
    version,
    ...extra,
  };
}

/** tx.put of key = value at the next version, as the service writes. */
function bump(tx: TxView, namespace: string, key: string, value: unknown): Entry {
  const prev = tx.get(namespace, key);
  const e = entry(namespace, key, value, (prev?.version ?? 0) + 1);
  tx.put(e);
  return e;
}

const HANG_MS = 20_000;

/** Waits until `probe` (after refresh) holds; "immediate" backends must hold at once. */
async function seen(target: ContractTarget, b: Backend, probe: () => boolean, what: string): Promise<void> {
  b.refresh();
  if (probe()) return;
  if (target.visibility === "immediate") throw new Error(`${what}: not visible after refresh()`);
  const start = Date.now();
  while (Date.now() - start < HANG_MS) {
    await new Promise((r) => setTimeout(r, 5));
    b.refresh();
    if (probe()) return;
  }
  throw new Error(`${what}: still not visible after ${HANG_MS} ms`);
}

export function backendContract(name: string, target: ContractTarget): void {
  describe(`Backend contract: ${name}`, () => {
    const withStore = (title: string, body: (s: Opener, store: ContractStore) => Promise<void>) =>
      it(title, async () => {
        const store = await target.store();
        try {
          await body(opener(store), store);
        } finally {
          await store.cleanup();
        }
      });

    withStore("a new store is empty and says so in status()", async (s) => {
      const a = await s.open();
      try {
        expect(a.size).toBe(0);
        expect(a.namespaces()).toEqual([]);
        expect([...a.entries()]).toEqual([]);
        const st = a.status();
        expect(st.entries).toBe(0);
        expect(st.problems).toEqual([]);
        expect(Math.abs(a.now() - Date.now())).toBeLessThan(60_000);
      } finally {
        await a.close();
      }
    });

    withStore("what is written reads back identical, here and in a fresh instance", async (s) => {
      const odd = [
        entry("default", "plain", "text"),
        entry("default", "🧠/ключ/鍵", { nested: { deep: [1, 2, { x: null }] } }),
        entry("default", "\ud800", "a lone high surrogate key"),
        entry("default", "\udfff\ud800", "reversed surrogates"),
        entry("default", "\ufffd", "the replacement character, not the same key as \\ud800"),
        entry("default", "\u0001starts-with-marker", 1),
        entry("default", "__proto__", JSON.parse('{"__proto__": {"polluted": true}, "constructor": 1}')),
        entry("other.ns", "plain", "same key, other namespace", 1, {
          tags: ["a", "b"],
          metadata: { why: "x" },
          expiresAt: new Date(Date.now() + 3_600_000).toISOString(),
          retention: "30d@1234abcd",
          type: "episodic",
        }),
        entry("default", "nul-in-value", "a\u0000b\u2028c"),
        entry("default", "numbers", [0, -1, 1e308, -1e-308, 2 ** 53 - 1, 0.1]),
      ];
      const a = await s.open();
      try {
        await a.write((tx) => {
          for (const e of odd) tx.put(e);
        });
        for (const e of odd) expect(a.get(e.namespace, e.key), JSON.stringify(e.key)).toEqual(e);
        expect(a.size).toBe(odd.length);
        expect(a.namespaces()).toEqual(["default", "other.ns"]);
      } finally {
        await a.close();
      }
      const b = await s.open();
      try {
        expect(b.size).toBe(odd.length);
        for (const e of odd) expect(b.get(e.namespace, e.key), JSON.stringify(e.key)).toEqual(e);
        expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      } finally {
        await b.close();
      }
    });

    withStore(
      "keys are unique per namespace: a second put replaces, another namespace is another entry",
      async (s) => {
        const a = await s.open();
        try {
          await a.write((tx) => bump(tx, "ns1", "k", "one"));
          await a.write((tx) => bump(tx, "ns1", "k", "two"));
          await a.write((tx) => bump(tx, "ns2", "k", "three"));
          expect(a.size).toBe(2);
          expect(a.get("ns1", "k")).toMatchObject({ value: "two", version: 2 });
          expect(a.get("ns2", "k")).toMatchObject({ value: "three", version: 1 });
          expect(a.namespace("ns1")?.size).toBe(1);
        } finally {
          await a.close();
        }
      },
    );

    withStore(
      "a transaction reads its own writes and those of earlier transactions of its group",
      async (s) => {
        const a = await s.open();
        try {
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
        } finally {
          await a.close();
        }
      },
    );

    withStore("a transaction that throws changes nothing; the others of its group commit", async (s) => {
      const a = await s.open();
      try {
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
      } finally {
        await a.close();
      }
      const b = await s.open();
      try {
        expect(b.get("t", "bad")).toBeUndefined();
        expect(b.size).toBe(2);
      } finally {
        await b.close();
      }
    });

    withStore("delete removes; deleting what is not there is a no-op", async (s) => {
      const a = await s.open();
      try {
        await a.write((tx) => {
          bump(tx, "d", "a", 1);
          bump(tx, "d", "b", 2);
        });
        await a.write((tx) => {
          tx.del("d", "a");
          tx.del("d", "never-was");
        });
        expect(a.get("d", "a")).toBeUndefined();
        expect(a.size).toBe(1);
        // Deleted and re-created in one transaction: the new entry stands.
        await a.write((tx) => {
          tx.del("d", "b");
          bump(tx, "d", "b", "again");
        });
        expect(a.get("d", "b")).toMatchObject({ value: "again", version: 1 });
      } finally {
        await a.close();
      }
      const b = await s.open();
      try {
        expect(b.get("d", "a")).toBeUndefined();
        expect(b.get("d", "b")).toMatchObject({ value: "again", version: 1 });
        expect(b.size).toBe(1);
      } finally {
        await b.close();
      }
    });

    withStore(
      "observers get one reset at open, then every change in order, with the previous entry",
      async (s, store) => {
        const other = await s.open();
        await other.write((tx) => bump(tx, "o", "before", 0));
        const events: string[] = [];
        const watched = store.backend();
        watched.observe({
          applied: (c: Change) => events.push(describeChange(c)),
          reset: () => events.push("reset"),
        });
        await watched.open();
        try {
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
          // Another instance's changes reach observers too.
          await other.write((tx) => bump(tx, "o", "remote", 1));
          await seen(target, watched, () => events.includes("put o/remote v1 new"), "remote write observed");
        } finally {
          await watched.close();
          await other.close();
        }
      },
    );

    withStore("an atomic write is all or nothing, and another instance sees all of it at once", async (s) => {
      const a = await s.open();
      const b = await s.open();
      try {
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
        await seen(
          target,
          b,
          () => b.get("atomic", keys[keys.length - 1] as string) !== undefined,
          "atomic batch",
        );
        done = true;
        await watch;
        expect(partial, "another instance saw part of an atomic batch").toEqual([]);
        expect(keys.every((k) => b.get("atomic", k) !== undefined)).toBe(true);
        // A failing atomic transaction leaves nothing behind.
        await expect(
          a.write(
            (tx) => {
              for (const k of keys) bump(tx, "atomic2", k, k);
              throw new Error("abort");
            },
            { atomic: true },
          ),
        ).rejects.toThrow("abort");
        expect(a.namespace("atomic2")?.size ?? 0).toBe(0);
      } finally {
        await a.close();
        await b.close();
      }
    });

    withStore(
      "another instance's writes become visible to refresh() (immediately, or within the feed's delay)",
      async (s) => {
        const a = await s.open();
        const b = await s.open();
        try {
          const before = b.revision;
          await a.write((tx) => bump(tx, "x", "from-a", "hello"));
          await seen(target, b, () => b.get("x", "from-a")?.value === "hello", "a's write on b");
          expect(b.revision).toBeGreaterThan(before);
          await b.write((tx) => bump(tx, "x", "from-a", "reply"));
          await seen(target, a, () => a.get("x", "from-a")?.version === 2, "b's update on a");
          await b.write((tx) => tx.del("x", "from-a"));
          await seen(target, a, () => a.get("x", "from-a") === undefined, "b's delete on a");
          expect(a.size).toBe(0);
        } finally {
          await a.close();
          await b.close();
        }
      },
    );

    withStore("read-modify-write transactions from two instances never lose an update", async (s) => {
      const a = await s.open();
      const b = await s.open();
      try {
        const n = 40;
        const inc = (x: Backend) =>
          x.write((tx) => {
            const cur = tx.get("rmw", "counter");
            const value = ((cur?.value as number | undefined) ?? 0) + 1;
            tx.put(entry("rmw", "counter", value, (cur?.version ?? 0) + 1));
            return value;
          });
        const results = await Promise.all(
          Array.from({ length: n }, (_, i) => (i % 2 === 0 ? inc(a) : inc(b))),
        );
        expect(new Set(results).size, "two increments saw the same value").toBe(n);
        await seen(target, a, () => a.get("rmw", "counter")?.value === n, "final counter on a");
        await seen(target, b, () => b.get("rmw", "counter")?.value === n, "final counter on b");
        expect(a.get("rmw", "counter")?.version).toBe(n);
      } finally {
        await a.close();
        await b.close();
      }
    });

    withStore("transactions see the store's time; the clock agrees across instances", async (s) => {
      const a = await s.open();
      const b = await s.open();
      try {
        const local = Date.now();
        const txNow = await a.write((tx) => tx.now);
        expect(Math.abs(txNow - local)).toBeLessThan(60_000);
        expect(Math.abs(a.now() - b.now())).toBeLessThan(1000);
      } finally {
        await a.close();
        await b.close();
      }
    });

    withStore("compact() drops what isExpired says and keeps the rest, for every instance", async (s) => {
      const expired = (e: Entry, now: number) => e.expiresAt !== undefined && Date.parse(e.expiresAt) <= now;
      const a = await s.open({ isExpired: expired });
      const b = await s.open();
      try {
        await a.write((tx) => {
          tx.put(entry("c", "old", 1, 1, { expiresAt: new Date(Date.now() - 60_000).toISOString() }));
          tx.put(entry("c", "live", 2, 1, { expiresAt: new Date(Date.now() + 3_600_000).toISOString() }));
          tx.put(entry("c", "forever", 3));
        });
        const r = await a.compact("contract");
        expect(r?.dropped).toBe(1);
        expect(a.get("c", "old")).toBeUndefined();
        expect(a.size).toBe(2);
        await seen(target, b, () => b.get("c", "old") === undefined && b.size === 2, "compaction on b");
      } finally {
        await a.close();
        await b.close();
      }
      const c = await s.open();
      try {
        expect(c.size).toBe(2);
        expect(c.get("c", "forever")?.value).toBe(3);
      } finally {
        await c.close();
      }
    });

    withStore("close() commits what was queued; writes after close are refused", async (s) => {
      const a = await s.open();
      const pending = Array.from({ length: 20 }, (_, i) => a.write((tx) => bump(tx, "q", `k${i}`, i)));
      await a.close();
      await Promise.all(pending);
      await expect(a.write((tx) => bump(tx, "q", "late", 1))).rejects.toMatchObject({ code: "UNAVAILABLE" });
      const b = await s.open();
      try {
        expect(b.size).toBe(20);
      } finally {
        await b.close();
      }
    });

    withStore("revision moves with every applied change and size/entries/namespaces agree", async (s) => {
      const a = await s.open();
      try {
        const r0 = a.revision;
        await a.write((tx) => bump(tx, "r", "a", 1));
        const r1 = a.revision;
        expect(r1).toBeGreaterThan(r0);
        await a.write((tx) => {
          bump(tx, "r", "b", 1);
          bump(tx, "s", "c", 1);
        });
        expect(a.revision).toBeGreaterThan(r1);
        expect(a.size).toBe(3);
        expect([...a.entries()].map((e) => `${e.namespace}/${e.key}`).sort()).toEqual(["r/a", "r/b", "s/c"]);
        expect(a.namespaces()).toEqual(["r", "s"]);
        await a.write((tx) => tx.del("s", "c"));
        expect(a.namespaces()).toEqual(["r"]);
      } finally {
        await a.close();
      }
    });
  });
}

function describeChange(c: Change): string {
  const e = c.entry;
  if (c.kind === "del") return `del ${e.namespace}/${e.key} v${e.version}`;
  return `put ${e.namespace}/${e.key} v${e.version} ${c.previous ? `after v${c.previous.version}` : "new"}`;
}
