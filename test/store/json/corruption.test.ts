/**
 * The corruption suite, driving JsonStore directly on real files: a torn journal tail, flipped bytes
 * in a journal line, a truncated or garbage snapshot, a missing journal, a missing backups
 * directory. Each case must end in a clear report and either a correct recovery or a refusal that
 * leaves every byte where it was: never silent loss.
 */
import {
  appendFileSync,
  existsSync,
  readdirSync,
  readFileSync,
  rmSync,
  truncateSync,
  writeFileSync,
} from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { MemoryError } from "../../../src/domain/errors.js";
import {
  allBytes,
  contents,
  dataPath,
  inventory,
  journalPath,
  openStore,
  put,
  tempDirs,
} from "./fixtures.js";

const fresh = tempDirs();

const journalOf = journalPath;
const backupsOf = (dir: string) => path.join(dir, "memory", "backups");

/** Three generations: gen 0 -> compact -> gen 1 -> compact -> gen 2 with a live journal on top. */
async function threeGenerations(dir: string, backupsKept = 5) {
  const { store } = await openStore(dir, { backupsKept });
  const expected: Record<string, unknown> = {};
  for (let g = 0; g < 3; g++) {
    for (let i = 0; i < 5; i++) {
      await put(store, `g${g}/k${i}`, { g, i });
      expected[`default/g${g}/k${i}`] = { g, i };
    }
    await put(store, "shared", g);
    expected["default/shared"] = g;
    if (g < 2) await store.compact("test");
  }
  return { store, expected };
}

describe("torn journal tail", () => {
  it("is left alone by readers, cut by the next writer, reported, and its bytes kept in backups/", async () => {
    const dir = fresh();
    const a = await openStore(dir);
    for (let i = 0; i < 3; i++) await put(a.store, `k${i}`, i);
    const torn = Buffer.from('{"gen":0,"seq":4,"op":"put","entry":{"id":"x","key":"half');
    appendFileSync(journalOf(dir), torn);

    const reader = await openStore(dir);
    expect(contents(reader.store)).toEqual({ "default/k0": 0, "default/k1": 1, "default/k2": 2 });
    expect(reader.store.status().problems).toEqual([]);

    const writer = await openStore(dir);
    await put(writer.store, "k3", 3);
    const problems = writer.store.status().problems;
    expect(problems.map((p) => p.kind)).toEqual(["torn-tail"]);
    expect(problems[0]?.detail).toMatch(/never acknowledged/);
    const kept = readdirSync(backupsOf(dir)).filter((n) => n.includes(".torn-"));
    expect(kept).toHaveLength(1);
    expect(readFileSync(path.join(backupsOf(dir), kept[0] as string))).toEqual(torn);

    const after = await openStore(dir);
    expect(contents(after.store)).toEqual({
      "default/k0": 0,
      "default/k1": 1,
      "default/k2": 2,
      "default/k3": 3,
    });
    expect(after.store.status().problems).toEqual([]);
  });
});

describe("flipped bytes in a journal line", () => {
  for (const backupsKept of [5, 0]) {
    it(`are caught by the checksum, reported with the offset, and the damaged bytes survive compaction (backupsKept ${backupsKept})`, async () => {
      const dir = fresh();
      const a = await openStore(dir, { backupsKept });
      for (let i = 0; i < 5; i++) await put(a.store, `k${i}`, `value number ${i}`);
      const journal = readFileSync(journalOf(dir));
      const lines = journal.toString("utf8").split("\n");
      const third = lines[2] as string;
      const offset = Buffer.byteLength(`${lines.slice(0, 2).join("\n")}\n`);
      const at = offset + third.indexOf("value number 2") + 6;
      const damaged = Buffer.from(journal);
      damaged[at] = (damaged[at] as number) ^ 0x01;
      writeFileSync(journalOf(dir), damaged);
      const badLine = damaged.subarray(offset, offset + Buffer.byteLength(third));

      const b = await openStore(dir, { backupsKept });
      expect(b.store.get("default", "k2")).toBeUndefined();
      expect(contents(b.store)).toEqual({
        "default/k0": "value number 0",
        "default/k1": "value number 1",
        "default/k3": "value number 3",
        "default/k4": "value number 4",
      });
      const problems = b.store.status().problems;
      expect(problems.map((p) => p.kind)).toEqual(["corrupt-line"]);
      expect(problems[0]?.detail).toContain(`byte ${offset}`);
      expect(problems[0]?.detail).toMatch(/checksum mismatch/);

      // Compaction (and later pruning) must not be what finally destroys the evidence.
      await b.store.compact("test");
      for (let i = 0; i < 3; i++) {
        await put(b.store, `more${i}`, i);
        await b.store.compact("test");
      }
      expect(allBytes(dir).includes(badLine)).toBe(true);
    });
  }

  it("a flip in the newline merging two lines loses neither silently: both are reported as one damaged line", async () => {
    const dir = fresh();
    const a = await openStore(dir);
    for (let i = 0; i < 3; i++) await put(a.store, `k${i}`, i);
    const journal = readFileSync(journalOf(dir));
    const nl = journal.indexOf(10);
    journal[nl] = 0x20;
    writeFileSync(journalOf(dir), journal);
    const b = await openStore(dir);
    expect(contents(b.store)).toEqual({ "default/k2": 2 });
    expect(b.store.status().problems.map((p) => p.kind)).toEqual(["corrupt-line"]);
  });
});

describe("damaged snapshot", () => {
  const damage = {
    truncated: (file: string) => truncateSync(file, Math.floor(readFileSync(file).length / 2)),
    garbage: (file: string) =>
      writeFileSync(file, Buffer.from([0x7b, 0x00, 0xff, 0x13, 0x22, 0x5d, 0x0a, 0x41])),
    empty: (file: string) => writeFileSync(file, ""),
    "valid JSON of the wrong shape": (file: string) => writeFileSync(file, '{"entries": 42}\n'),
  };
  for (const [name, spoil] of Object.entries(damage)) {
    it(`${name}: moved aside byte for byte, rebuilt from the newest backup plus journals, reported`, async () => {
      const dir = fresh();
      const { expected } = await threeGenerations(dir);
      spoil(dataPath(dir));
      const spoiled = readFileSync(dataPath(dir));

      const b = await openStore(dir);
      expect(contents(b.store)).toEqual(expected);
      const problems = b.store.status().problems;
      expect(problems.map((p) => p.kind)).toEqual(["recovered-snapshot"]);
      const corrupt = path.join(dir, "memory", "corrupt");
      const asideName = readdirSync(corrupt).find((n) => n.startsWith("claude-flow-data.json."));
      expect(asideName).toBeDefined();
      expect(readFileSync(path.join(corrupt, asideName as string))).toEqual(spoiled);

      // The rebuilt store is a normal store: writable, and it reopens to the same contents.
      await put(b.store, "after", 1);
      const c = await openStore(dir);
      expect(contents(c.store)).toEqual({ ...expected, "default/after": 1 });
    });
  }

  it("after a single compaction (no snapshot backup yet) is rebuilt from the archived journals alone", async () => {
    const dir = fresh();
    const a = await openStore(dir);
    for (let i = 0; i < 4; i++) await put(a.store, `k${i}`, i);
    await a.store.compact("test");
    await put(a.store, "k4", 4);
    writeFileSync(dataPath(dir), "garbage");
    const b = await openStore(dir);
    expect(contents(b.store)).toEqual({
      "default/k0": 0,
      "default/k1": 1,
      "default/k2": 2,
      "default/k3": 3,
      "default/k4": 4,
    });
    expect(b.store.status().problems.map((p) => p.kind)).toEqual(["recovered-snapshot"]);
  });

  it("with the backups directory gone: refuses to open with a clear error and changes no byte", async () => {
    const dir = fresh();
    await threeGenerations(dir);
    rmSync(backupsOf(dir), { recursive: true });
    writeFileSync(dataPath(dir), "not a snapshot");
    const before = inventory(dir);
    const b = await openStore(dir).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(b).toBeInstanceOf(MemoryError);
    expect((b as MemoryError).code).toBe("CORRUPT_DATA");
    expect((b as MemoryError).message).toMatch(/not valid JSON.*nothing was changed/s);
    expect(inventory(dir)).toEqual(before);
  });

  it("refuses, changing no byte, when a journal between the backup and the snapshot is missing", async () => {
    const dir = fresh();
    const { store } = await threeGenerations(dir);
    await store.compact("test");
    // backups: snapshots 1, 2 and journals 0, 1, 2. Losing journal 1 breaks the chain from
    // snapshot 1; snapshot 2 + journal 2 + the live journal is still complete.
    rmSync(path.join(backupsOf(dir), "claude-flow-data.2.journal"));
    writeFileSync(dataPath(dir), "not a snapshot");
    const before = inventory(dir);
    const b = await openStore(dir).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect((b as MemoryError)?.code).toBe("CORRUPT_DATA");
    expect(inventory(dir)).toEqual(before);
  });
});

describe("missing journal", () => {
  it("next to a snapshot is reported (the snapshot is served, writes go on)", async () => {
    const dir = fresh();
    const { store, expected } = await threeGenerations(dir);
    await store.compact("test");
    rmSync(journalOf(dir));
    const b = await openStore(dir);
    expect(contents(b.store)).toEqual(expected);
    const problems = b.store.status().problems;
    expect(problems.map((p) => p.kind)).toEqual(["journal-missing"]);
    expect(problems[0]?.detail).toMatch(/missing/);
    await put(b.store, "after", 1);
    const c = await openStore(dir);
    expect(contents(c.store)).toEqual({ ...expected, "default/after": 1 });
  });

  it("is never left missing by a compaction: the journal file exists at every step", async () => {
    const dir = fresh();
    const { store } = await threeGenerations(dir, 0);
    await store.compact("test");
    expect(existsSync(journalOf(dir))).toBe(true);
  });
});

describe("missing backups directory", () => {
  it("compaction recreates it and keeps serving", async () => {
    const dir = fresh();
    const { store, expected } = await threeGenerations(dir);
    rmSync(backupsOf(dir), { recursive: true });
    await put(store, "x", 1);
    const r = await store.compact("test");
    expect(r?.backup).toBeDefined();
    expect(existsSync(backupsOf(dir))).toBe(true);
    const b = await openStore(dir);
    expect(contents(b.store)).toEqual({ ...expected, "default/x": 1 });
    expect(b.store.status().problems).toEqual([]);
  });
});
