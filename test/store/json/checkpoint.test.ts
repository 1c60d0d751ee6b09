/**
 * The JSON store's checkpoint (Backend.checkpoint / continues): what the saved search index is
 * checked against. A checkpoint names the snapshot (generation, size, checksum) and the journal
 * bytes applied; the store continues it while it has that snapshot and a journal that begins
 * with those bytes.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { dataPath, journalPath, openStore, put, tempDirs } from "./fixtures.js";

const dir = tempDirs();

describe("store checkpoint", () => {
  it("is not named before the store has a snapshot", async () => {
    const { store } = await openStore(dir());
    await put(store, "a", "one");
    expect(store.checkpoint()).toBeUndefined();
    await store.close();
  });

  it("names the snapshot and the journal applied, and every instance continues it while the journal only grows", async () => {
    const d = dir();
    const { store } = await openStore(d);
    await put(store, "a", "one");
    await store.compact();
    const atCompaction = store.checkpoint();
    expect(atCompaction).toMatchObject({ logBytes: 0 });
    expect(atCompaction?.base).toMatch(/^1:\d+:[0-9a-f]{8}$/);
    await put(store, "b", "two");
    const afterWrite = store.checkpoint();
    expect(afterWrite?.base).toBe(atCompaction?.base);
    expect(afterWrite?.logBytes).toBe(readFileSync(journalPath(d)).length);

    const other = await openStore(d);
    expect(other.store.checkpoint()).toEqual(afterWrite);
    await put(other.store, "c", "three");
    for (const c of [atCompaction, afterWrite]) {
      expect(store.continues(c as never)).toBe(true);
      expect(other.store.continues(c as never)).toBe(true);
    }
    await other.store.close();
    await store.close();
  });

  it("is not continued after a compaction, nor by a journal cut short or rewritten with other bytes", async () => {
    const d = dir();
    const { store } = await openStore(d);
    await put(store, "a", "one");
    await store.compact();
    await put(store, "b", "two");
    await put(store, "c", "three");
    const c = store.checkpoint();
    if (c === undefined) throw new Error("no checkpoint");

    const journal = readFileSync(journalPath(d));
    writeFileSync(journalPath(d), journal.subarray(0, journal.length - 5));
    expect(store.continues(c)).toBe(false);
    const other = Buffer.from(journal);
    other[other.indexOf("two")] = "T".charCodeAt(0);
    writeFileSync(journalPath(d), other);
    expect(store.continues(c)).toBe(false);
    writeFileSync(journalPath(d), journal);
    expect(store.continues(c)).toBe(true);

    await store.compact();
    expect(store.continues(c)).toBe(false);
    expect(store.checkpoint()?.base).not.toBe(c.base);
    await store.close();
  });

  it("is not named for a snapshot whose checksum does not hold", async () => {
    const d = dir();
    const { store } = await openStore(d);
    await put(store, "a", "one");
    await put(store, "b", "two");
    await store.compact();
    await store.close();
    const snap = readFileSync(dataPath(d));
    snap[snap.indexOf('"two"') + 1] = "T".charCodeAt(0);
    writeFileSync(dataPath(d), snap);
    const reopened = await openStore(d);
    // The damaged line is set aside and the store compacted: the new snapshot is sound again.
    expect(reopened.logs.join("\n")).toMatch(/damaged|set aside/);
    expect(reopened.store.checkpoint()?.base).toMatch(/^\d+:/);
    await reopened.store.close();
  });
});
