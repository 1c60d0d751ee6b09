/**
 * The saved search index: a bank saves its complete index beside the store, the next open loads
 * it instead of building when the store still continues the checkpoint it was made at, catches
 * it up on the journal written since, and builds from the entries whenever the saved one is
 * damaged, of another snapshot or made under other rules. Every answer is the answer a fresh
 * build gives.
 */
import { copyFileSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/config.js";
import { decodeSegment } from "../../src/search/api.js";
import { MemoryBank } from "../../src/service/bank.js";
import { deleteOperation } from "../../src/service/operations/delete.js";
import type { QueryInput } from "../../src/service/operations/query.js";
import { tempProjects } from "../helpers.js";
import { notes, savedIndexOf } from "./notes.js";

const project = tempProjects();
const banks: MemoryBank[] = [];
afterEach(async () => {
  for (const b of banks.splice(0)) await b.close().catch(() => {});
});

const N = 3000;
const QUERIES: QueryInput[] = [
  { query: "alpha bravo", limit: 20 },
  { query: "delta item5", limit: 30 },
  { query: "brand new words", limit: 10 },
  { query: "hotel", tags: ["charlie"], limit: 15 },
  { query: "julet", limit: 5 },
];

async function open(dir: string, logs: string[] = [], readOnly = false): Promise<MemoryBank> {
  const bank = await MemoryBank.open(loadConfig({ cwd: dir, env: {} }), {
    log: (m) => logs.push(m),
    ...(readOnly ? { readOnly } : {}),
  });
  banks.push(bank);
  return bank;
}

async function close(bank: MemoryBank): Promise<void> {
  banks.splice(banks.indexOf(bank), 1);
  await bank.close();
}

/** A project of N entries whose index was built and saved by a bank that has closed. */
async function used(config?: unknown): Promise<string> {
  const dir = project(config);
  const bank = await open(dir);
  await bank.batchStore({ entries: notes(N) });
  await bank.indexReady();
  await close(bank);
  return dir;
}

const answers = async (bank: MemoryBank) =>
  Promise.all(QUERIES.map(async (q) => (await bank.query(q)).results.map((r) => [r.key, r.score])));

/** What a bank that builds its index from the entries answers (the saved index set aside meanwhile). */
async function built(dir: string) {
  const file = savedIndexOf(dir);
  const aside = `${file}.aside`;
  copyFileSync(file, aside);
  rmSync(file);
  const bank = await open(dir, [], true);
  expect(bank.indexBuilding).toBe(true);
  const got = await answers(bank);
  await close(bank);
  copyFileSync(aside, file);
  rmSync(aside);
  return got;
}

describe("the saved search index", () => {
  it("is saved beside the store (0600) and loaded by the next open instead of a build, answering alike", async () => {
    const dir = await used();
    expect(statSync(savedIndexOf(dir)).mode & 0o777).toBe(0o600);
    const logs: string[] = [];
    const bank = await open(dir, logs);
    expect(bank.indexBuilding).toBe(false);
    expect(bank.searchIndex?.size).toBe(N);
    const loaded = await answers(bank);
    await close(bank);
    expect(loaded).toEqual(await built(dir));
    expect(logs.join("\n")).not.toMatch(/saved search index/);
  });

  it("catches up on what was written after it was saved: stores, updates and deletes in the journal", async () => {
    const dir = await used();
    const writer = await open(dir);
    await writer.storeEntry({ key: "fresh", value: "brand new words" });
    await writer.storeEntry({ key: "note-1", value: "brand new words too" });
    await deleteOperation.run(writer, { key: "note-2" }, {});
    // Another bank opens while the journal holds those writes (no compaction between).
    const reader = await open(dir);
    expect(reader.indexBuilding).toBe(false);
    expect((await reader.query({ query: "brand new words" })).results.map((r) => r.key)).toEqual([
      "fresh",
      "note-1",
    ]);
    expect(reader.searchIndex?.has("default", "note-2")).toBe(false);
    expect(reader.searchIndex?.size).toBe(N);
    expect(await answers(reader)).toEqual(await answers(writer));
    const got = await answers(reader);
    await close(reader);
    await close(writer);
    expect(got).toEqual(await built(dir));
  });

  it("skips what the journal replays up to its checkpoint, and is saved again at close once the journal has grown past a megabyte", async () => {
    const dir = await used();
    const metaOf = () =>
      decodeSegment(readFileSync(savedIndexOf(dir))).meta as { checkpoint: { logBytes: number } };
    expect(metaOf().checkpoint.logBytes).toBe(0);
    const small = await open(dir);
    for (const key of ["x1", "x2", "x3"]) await small.storeEntry({ key, value: "brand new words" });
    small.maintenance?.keepAsIsAtClose();
    await close(small);
    expect(metaOf().checkpoint.logBytes).toBe(0); // a few records: not worth a save

    const catching = await open(dir);
    // The three records are after the checkpoint: applied to the loaded index, one change each.
    expect(catching.searchIndex?.generation).toBe(3);
    const filler = "lorem ipsum dolor sit amet ".repeat(20);
    await catching.batchStore({
      entries: Array.from({ length: 2500 }, (_, i) => ({ key: `bulk-${i}`, value: `${filler} ${i}` })),
    });
    catching.maintenance?.keepAsIsAtClose();
    const journalBytes = catching.status().journalBytes;
    expect(journalBytes).toBeGreaterThan(1 << 20);
    await close(catching);
    expect(metaOf().checkpoint.logBytes).toBe(journalBytes);

    const next = await open(dir);
    // Everything the journal replays is in the saved index: nothing to apply.
    expect(next.searchIndex?.generation).toBe(0);
    expect(next.searchIndex?.size).toBe(N + 3 + 2500);
    const got = await answers(next);
    next.maintenance?.keepAsIsAtClose();
    await close(next);
    expect(got).toEqual(await built(dir));
  });

  it("a damaged one is said on the log and not used; the index is built and saved sound again", async () => {
    const dir = await used();
    const bytes = readFileSync(savedIndexOf(dir));
    bytes[Math.floor(bytes.length / 2)] ^= 0x20;
    writeFileSync(savedIndexOf(dir), bytes);
    const logs: string[] = [];
    const bank = await open(dir, logs);
    expect(logs.join("\n")).toMatch(
      /saved search index .* was not used: it is damaged \(checksum mismatch\); building it/,
    );
    expect(bank.indexBuilding).toBe(true);
    const got = await answers(bank);
    await close(bank);
    expect(() => decodeSegment(readFileSync(savedIndexOf(dir)))).not.toThrow();
    expect(got).toEqual(await built(dir));
  });

  it("one made at another snapshot (the store was compacted since, or restored) is not used", async () => {
    const dir = await used();
    const old = readFileSync(savedIndexOf(dir));
    const bank = await open(dir);
    await bank.storeEntry({ key: "fresh", value: "brand new words" });
    await bank.compact("test");
    await close(bank);
    writeFileSync(savedIndexOf(dir), old);
    const logs: string[] = [];
    const next = await open(dir, logs);
    expect(logs.join("\n")).toMatch(/was not used: the store has moved on/);
    expect((await next.query({ query: "brand new words" })).results.map((r) => r.key)).toEqual(["fresh"]);
  });

  it("one made under other retention rules is not used (expiry is part of what is indexed)", async () => {
    const dir = await used();
    writeFileSync(
      path.join(dir, "claude-flow.config.json"),
      JSON.stringify({ memory: { retentionPolicy: { default: "30d" } } }),
    );
    const logs: string[] = [];
    const bank = await open(dir, logs);
    expect(logs.join("\n")).toMatch(/was not used: the retention rules changed/);
    expect(bank.indexBuilding).toBe(true);
  });

  it("a compaction saves it again for the new snapshot; a read-only bank never writes one", async () => {
    const dir = await used();
    const bank = await open(dir);
    await bank.storeEntry({ key: "fresh", value: "brand new words" });
    const before = decodeSegment(readFileSync(savedIndexOf(dir))).meta as { checkpoint: { base: string } };
    await bank.compact("test");
    await bank.query({ query: "fresh" }); // a search notices the new generation and saves soon after
    await close(bank);
    const after = decodeSegment(readFileSync(savedIndexOf(dir))).meta as { checkpoint: { base: string } };
    expect(after.checkpoint.base).not.toBe(before.checkpoint.base);

    const fresh = project();
    const writer = await open(fresh);
    await writer.storeEntry({ key: "k", value: "v" });
    await writer.compact("test");
    await close(writer);
    rmSync(savedIndexOf(fresh), { force: true });
    const reader = await open(fresh, [], true);
    await reader.query({ query: "v" });
    await close(reader);
    expect(() => statSync(savedIndexOf(fresh))).toThrow(/ENOENT/);
  });
});
