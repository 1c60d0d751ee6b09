/**
 * MemoryBank start-up: the store answers as soon as it is loaded while the search index builds
 * in the background; writes made meanwhile end up in the index; a ranked query never sees a
 * partial index.
 */
import { rmSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/config.js";
import { MemoryBank } from "../../src/service/bank.js";
import { deleteOperation } from "../../src/service/operations/delete.js";
import type { QueryInput } from "../../src/service/operations/query.js";
import { removeProject, tempProject } from "../helpers.js";
import { notes, savedIndexOf, WORDS } from "../service/notes.js";

const dirs: string[] = [];
const banks: MemoryBank[] = [];
afterEach(async () => {
  for (const b of banks.splice(0)) await b.close().catch(() => {});
  for (const d of dirs.splice(0)) removeProject(d);
});

const N = 20_000;

async function open(dir: string): Promise<MemoryBank> {
  const bank = await MemoryBank.open(loadConfig({ cwd: dir, env: {} }), { log: () => {} });
  banks.push(bank);
  return bank;
}

/** Forgets the index a bank saved beside the store, so that the next open builds it. */
function withoutSavedIndex(dir: string): string {
  rmSync(savedIndexOf(dir), { force: true });
  return dir;
}

/** A project holding N entries, closed again, with no saved index (the next open builds it from the store). */
async function project(): Promise<string> {
  const dir = tempProject();
  dirs.push(dir);
  const bank = await open(dir);
  await bank.batchStore({ entries: notes(N) });
  await bank.close();
  banks.splice(banks.indexOf(bank), 1);
  return withoutSavedIndex(dir);
}

const QUERIES: QueryInput[] = [
  { query: "alpha bravo", limit: 20 },
  { query: "delta item5", limit: 50 },
  { query: "brand new words", limit: 10 },
  { query: "hotel", tags: ["charlie"], limit: 15 },
  { query: "julet", limit: 5 },
];

function keysOf(bank: MemoryBank, q: QueryInput) {
  return bank.querySync(q).results.map((r) => [r.key, r.score]);
}

describe("start-up with a background index build", () => {
  it("answers key lookups at once, applies writes made during the build, and ranks like a fresh index", async () => {
    const dir = await project();
    const bank = await open(dir);
    // open() returned before the first slice of the build ran: the store answers already.
    expect(bank.indexBuilding).toBe(true);
    expect(bank.get("note-5")?.value).toBe(`${WORDS[5]} ${WORDS[5]} item5`);
    expect(bank.querySync({ key: "note-7" }).results.map((r) => r.key)).toEqual(["note-7"]);

    // Writes while the index builds: a new entry, an update, a delete.
    await bank.storeEntry({ key: "fresh", value: "brand new words" });
    await bank.storeEntry({ key: "note-1", value: "brand new words too" });
    await deleteOperation.run(bank, { key: "note-2" }, {});
    expect(bank.indexBuilding).toBe(true);
    await bank.indexReady();
    expect(bank.indexBuilding).toBe(false);
    const answers = QUERIES.map((q) => keysOf(bank, q));
    expect(bank.querySync({ query: "brand new words" }).results.map((r) => r.key)).toEqual([
      "fresh",
      "note-1",
    ]);
    expect(bank.searchIndex?.has("default", "note-2")).toBe(false);
    expect(bank.searchIndex?.size).toBe(N);
    await bank.close();

    const rebuilt = await open(withoutSavedIndex(dir));
    await rebuilt.indexReady();
    expect(QUERIES.map((q) => keysOf(rebuilt, q))).toEqual(answers);
  });

  it("a ranked query before the index is ready gets the complete answer", async () => {
    const dir = await project();
    const reference = await open(dir);
    await reference.indexReady();
    const expected = QUERIES.map((q) => keysOf(reference, q));
    await reference.close(); // and with it the index it saves

    // Synchronous query: finishes the build on the spot.
    const sync = await open(withoutSavedIndex(dir));
    expect(sync.indexBuilding).toBe(true);
    expect(QUERIES.map((q) => keysOf(sync, q))).toEqual(expected);

    // memory_query (async search): waits for the build without blocking the event loop.
    const waiting = await open(withoutSavedIndex(dir));
    expect(waiting.indexBuilding).toBe(true);
    const answers = await Promise.all(QUERIES.map((q) => waiting.query(q)));
    expect(answers.map((a) => a.results.map((r) => [r.key, r.score]))).toEqual(expected);
  });

  it("close() during the build stops it", async () => {
    const dir = await project();
    const bank = await open(dir);
    await bank.close();
    banks.splice(banks.indexOf(bank), 1);
    await expect(bank.indexReady()).resolves.toBeUndefined();
  });
});
