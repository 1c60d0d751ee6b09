/**
 * File-system failures reach the agent as IO_ERROR messages that say what to fix, from every
 * operation: a store on a read-only file system (a real read-only mount, EROFS) and folders this
 * process may not write (real permissions, EACCES). Reads keep working, and nothing stored before
 * is lost. Both need root in CI (mount, and dropping root's permission override); without it the
 * tests fail and say so.
 */
import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { type Connected, call, connect, ok, removeProject, tempProject, textOf } from "../helpers.js";
import { mountReadOnly, withoutPermissionOverride } from "../system-deps.js";

const dirs: string[] = [];
const open: Connected[] = [];
const undo: Array<() => void> = [];

afterEach(async () => {
  for (const s of open.splice(0)) await s.close().catch(() => {});
  for (const u of undo.splice(0).reverse()) u();
  for (const d of dirs.splice(0)) removeProject(d);
});

/** A project whose store already holds `n` entries, written and closed by a normal server. */
async function storeWith(n: number): Promise<string> {
  const dir = tempProject();
  dirs.push(dir);
  const s = await connect(dir);
  for (let i = 0; i < n; i++) await ok(s.client, "memory_store", { key: `k${i}`, value: i });
  await s.close();
  return dir;
}

async function serve(dir: string, prefix: string[] = []): Promise<Connected> {
  const s = await connect(dir, [], {}, { prefix });
  open.push(s);
  return s;
}

function expectIoError(r: Awaited<ReturnType<typeof call>>, message: RegExp): void {
  expect(r.isError, textOf(r)).toBe(true);
  expect(textOf(r)).not.toMatch(/internal error/);
  expect(textOf(r)).toMatch(message);
  expect(textOf(r)).toMatch(/\[IO_ERROR\]$/);
}

describe("a store on a read-only file system", () => {
  it("answers reads, and every write says the folder is read-only and what to do", async () => {
    const dir = await storeWith(3);
    const memory = path.join(dir, "memory");
    undo.push(mountReadOnly(memory));
    const s = await serve(dir);
    const got = await ok<{ found: boolean }>(s.client, "memory_get", { key: "k1" });
    expect(got.found).toBe(true);

    const readOnly = new RegExp(`${memory} is on a read-only file system.*remount it read-write`);
    expectIoError(await call(s.client, "memory_store", { key: "new", value: 1 }), readOnly);
    const batch = await ok<{ stored: number; errors: Array<{ message: string }> }>(s.client, "batch_store", {
      entries: [
        { key: "b1", value: 1 },
        { key: "b2", value: 2 },
      ],
    });
    expect(batch.stored).toBe(0);
    expect(batch.errors).toHaveLength(2);
    for (const e of batch.errors) expect(e.message).toMatch(readOnly);
    expectIoError(
      await call(s.client, "export", { path: "memory/exports/all.json" }),
      /is on a read-only file system/,
    );
    expectIoError(await call(s.client, "memory_delete", { key: "k0" }), readOnly);
    await s.close();

    undo.pop()?.();
    const after = await serve(dir);
    const all = await ok<{ results: unknown[] }>(after.client, "memory_query", { keyPrefix: "k" });
    expect(all.results).toHaveLength(3);
  });
});

describe("folders this process may not write", () => {
  it("export into one, and a journal it may not append to, say which and how to fix it", async () => {
    const dir = await storeWith(2);
    const locked = path.join(dir, "locked");
    mkdirSync(locked);
    chmodSync(locked, 0o555);
    // The journal the store appends to: read-only for its owner.
    const journal = path.join(dir, "memory", "claude-flow-data.journal");
    writeFileSync(journal, "", { mode: 0o400 });
    chmodSync(journal, 0o400);
    const s = await serve(dir, withoutPermissionOverride());

    expectIoError(
      await call(s.client, "export", { path: "locked/all.json" }),
      new RegExp(`may not open files in ${locked} \\(permission denied\\): give it access`),
    );
    expectIoError(
      await call(s.client, "memory_store", { key: "new", value: 1 }),
      new RegExp(`may not open ${journal} \\(permission denied\\).*\\(nothing was stored\\)`),
    );
    const got = await ok<{ found: boolean }>(s.client, "memory_get", { key: "k1" });
    expect(got.found).toBe(true);
  });
});
