/**
 * A writer that lost its lock changes nothing, and a compaction installed late loses nothing.
 * On one machine a live holder never loses its lock (lock.test.ts); these are the defences for
 * the case where it can (a holder on another machine, silent for lockStaleMs).
 */
import { appendFileSync, readFileSync, statSync, symlinkSync, unlinkSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { MemoryError } from "../../../src/domain/errors.js";
import { encodeLine } from "../../../src/store/json/journal.js";
import { contents, dataPath, entry, journalPath, openStore, put, tempDirs } from "./fixtures.js";

const fresh = tempDirs();

const journalOf = journalPath;

describe("fencing", () => {
  it("a writer whose lock another process took over appends nothing, and says the write was not stored", async () => {
    const dir = fresh();
    const { store, logs } = await openStore(dir, { exclusive: true });
    await put(store, "before", 1);
    const journal = readFileSync(journalOf(dir));
    const lock = `${dataPath(dir)}.lock`;
    unlinkSync(lock);
    symlinkSync("memory-bank-lock:2:4242:77:ffffffff:0123456789:another-machine", lock);

    const error = await put(store, "after", 2).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(MemoryError);
    expect((error as MemoryError).code).toBe("LOCK_BUSY");
    expect((error as MemoryError).message).toMatch(/no longer holds the store lock.*nothing was changed/);
    expect(readFileSync(journalOf(dir))).toEqual(journal);
    expect(store.status().problems.map((p) => p.kind)).toContain("lock-compromised");
    expect(logs.join("\n")).toMatch(/lock-compromised|no longer holds/);
    unlinkSync(lock);
  });

  it("a compaction installed after another writer appended to the old journal keeps those lines", async () => {
    const dir = fresh();
    const a = await openStore(dir);
    for (let i = 0; i < 3; i++) await put(a.store, `k${i}`, i);
    const folded = statSync(journalOf(dir)).size;
    const result = await a.store.compact("test");
    expect(result?.generation).toBe(1);
    await a.store.close();
    // As if a writer that had taken the lock over appended to generation 0's journal after the
    // compaction read it: its line sits past what the new snapshot says it folded.
    const archived = path.join(dir, "memory", "backups", "claude-flow-data.0.journal");
    expect(statSync(archived).size).toBe(folded);
    appendFileSync(archived, encodeLine(0, 4, { op: "put", entry: entry("late", "kept") }));

    const b = await openStore(dir);
    expect(contents(b.store)).toEqual({
      "default/k0": 0,
      "default/k1": 1,
      "default/k2": 2,
      "default/late": "kept",
    });
    expect(b.logs.join("\n")).toMatch(
      /applied 1 journal record\(s\) written to generation 0 after its compaction/,
    );
    // And the next compaction folds it for good.
    await b.store.compact("test");
    await b.store.close();
    const c = await openStore(dir);
    expect(contents(c.store)).toHaveProperty("default/late", "kept");
    await c.store.close();
  });
});
