/**
 * Expiry does not depend on one process's clock. Real processes run with their clock shifted by
 * libfaketime (installed with apt-get by the set-up when missing, as root): what the C library
 * tells them is 40 days off, while the kernel (and so the store's file system) keeps the true
 * time. A process ahead deletes nothing early, one behind writes nothing that is born expired,
 * and both read entries as everyone else does. See docs/GUARANTEES.md, "A wrong or jumping clock".
 */
import { readdirSync } from "node:fs";
import path from "node:path";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { cli, cliJson } from "../cli/run.js";
import { type Connected, connect, ok, removeProject, tempProject } from "../helpers.js";
import { faketimeEnv } from "../system-deps.js";
import { sleep } from "./harness.js";

const dirs: string[] = [];
const open: Connected[] = [];
let ahead: Record<string, string>;
let behind: Record<string, string>;

beforeAll(() => {
  ahead = faketimeEnv("+40d");
  behind = faketimeEnv("-40d");
}, 120_000);

afterEach(async () => {
  for (const s of open.splice(0)) await s.close().catch(() => {});
  for (const d of dirs.splice(0)) removeProject(d);
});

function project(): string {
  const dir = tempProject();
  dirs.push(dir);
  return dir;
}

async function serve(dir: string, env: Record<string, string> = {}): Promise<Connected> {
  const s = await connect(dir, [], env);
  open.push(s);
  return s;
}

type Got = { found: boolean; entry?: { updatedAt: string; createdAt: string }; expiresAt?: string };

const get = (s: Connected, key: string, namespace = "sessions") =>
  ok<Got>(s.client, "memory_get", { key, namespace });

/** Finished session records (of processes that have exited) in the store's sessions folder. */
function endedRecords(dir: string): string[] {
  return readdirSync(path.join(dir, "memory", "sessions")).filter((n) => n.startsWith("cli-"));
}

function expectNow(iso: string | undefined, offsetMs = 0): void {
  expect(Math.abs(Date.parse(iso ?? "") - (Date.now() + offsetMs)), iso).toBeLessThan(60_000);
}

describe("a process whose clock is 40 days ahead", () => {
  it("a CLI run's cleanup, compaction and record pruning delete nothing younger than its retention", async () => {
    const dir = project();
    const s = await serve(dir);
    for (let i = 0; i < 5; i++)
      await ok(s.client, "memory_store", { key: `s${i}`, value: i, namespace: "sessions" });
    await cliJson(dir, ["stats"]); // leaves the record of a finished CLI run
    expect(endedRecords(dir)).toHaveLength(1);

    const cleaned = await cli(dir, ["batch-cleanup", "--json"], ahead);
    expect(cleaned.code, cleaned.stderr).toBe(0);
    expect(JSON.parse(cleaned.stdout).removed).toBe(0);
    // A write by it (its exit compacts the store, dropping what it deems expired).
    const stored = await cli(dir, ["store", "from-ahead", '"x"', "--namespace", "sessions"], ahead);
    expect(stored.code, stored.stderr).toBe(0);
    const seen = await cli(dir, ["get", "s0", "--namespace", "sessions", "--json"], ahead);
    expect(seen.code, seen.stderr).toBe(0);
    expect(JSON.parse(seen.stdout).found).toBe(true);

    for (let i = 0; i < 5; i++) expect((await get(s, `s${i}`)).found, `s${i}`).toBe(true);
    const written = await get(s, "from-ahead");
    expect(written.found).toBe(true);
    expectNow(written.entry?.updatedAt); // stamped with the store's time, not 40 days from now
    expect(endedRecords(dir).length).toBeGreaterThanOrEqual(1);
  }, 120_000);

  it("a server sees fresh entries as alive, its memory_cleanup removes none, and its shutdown drops none", async () => {
    const dir = project();
    const s = await serve(dir);
    await ok(s.client, "memory_store", { key: "fresh", value: 1, namespace: "sessions" });
    await ok(s.client, "memory_store", { key: "hour", value: 2, ttl: "1h" });
    const a = await serve(dir, ahead);
    expect((await get(a, "fresh")).found).toBe(true);
    expect((await get(a, "hour", "default")).found).toBe(true);
    const q = await ok<{ results: unknown[] }>(a.client, "memory_query", {
      namespace: "sessions",
      keyPrefix: "",
    });
    expect(q.results).toHaveLength(1);
    const c = await ok<{ removed: number }>(a.client, "memory_cleanup", {});
    expect(c.removed).toBe(0);
    await a.close();
    expect((await get(s, "fresh")).found).toBe(true);
    expect((await get(s, "hour", "default")).found).toBe(true);
  }, 120_000);
});

describe("a process whose clock is 40 days behind", () => {
  it("a server writes entries every other process can read, and reads expiry as they do", async () => {
    const dir = project();
    const b = await serve(dir, behind);
    await ok(b.client, "memory_store", { key: "from-behind", value: 1, namespace: "sessions" });
    await ok(b.client, "memory_store", { key: "ttl-behind", value: 2, namespace: "default", ttl: "1h" });
    const s = await serve(dir);
    const plain = await get(s, "from-behind");
    expect(plain.found).toBe(true);
    expectNow(plain.entry?.createdAt);
    const ttl = await get(s, "ttl-behind", "default");
    expect(ttl.found).toBe(true);
    expectNow(ttl.expiresAt, 3_600_000);

    // An entry whose TTL has run out by the store's time is gone for it too, not 40 days later.
    await ok(s.client, "memory_store", { key: "short", value: 3, ttl: "1s" });
    await sleep(1500);
    expect((await get(b, "short", "default")).found).toBe(false);
    expect((await get(b, "from-behind")).found).toBe(true);
  }, 120_000);
});
