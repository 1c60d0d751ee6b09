/**
 * What `import` reads: only regular files (and backup folders of them). A FIFO, a socket or a
 * FIFO standing in for a backup manifest is refused at once, before anything waits on it, so the
 * server keeps answering everyone else. And every field an imported record brings must leave an
 * entry that can be read back over MCP: versions stay safe integers, dates stay dates.
 */
import { spawnSync } from "node:child_process";
import { closeSync, constants, mkdirSync, openSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { type Connected, call, connect, ok, removeProject, tempProject, textOf } from "../helpers.js";

const dirs: string[] = [];
const open: Connected[] = [];
const cleanups: Array<() => void> = [];

afterEach(async () => {
  for (const c of cleanups.splice(0)) c();
  for (const s of open.splice(0)) await s.close().catch(() => {});
  for (const d of dirs.splice(0)) removeProject(d);
});

async function project(): Promise<{ dir: string; s: Connected }> {
  const dir = tempProject();
  dirs.push(dir);
  const s = await connect(dir);
  open.push(s);
  return { dir, s };
}

function mkfifo(file: string): void {
  const r = spawnSync("mkfifo", [file], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`mkfifo ${file} failed: ${r.error?.message ?? r.stderr}`);
  // If a reader is stuck in open() on it (the fault this reproduces), a writer lets it go.
  cleanups.push(() => {
    try {
      closeSync(openSync(file, constants.O_WRONLY | constants.O_NONBLOCK));
    } catch {
      // nobody is waiting on it
    }
  });
}

/** memory_get's answer, or "no answer" when the server did not reply within `ms`. */
async function getWithin(s: Connected, key: string, ms: number): Promise<unknown> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise((r) => {
    timer = setTimeout(() => r("no answer"), ms);
  });
  try {
    const answer = call(s.client, "memory_get", { key }, ms + 5000).catch(
      (e: Error) => `failed: ${e.message}`,
    );
    return await Promise.race([answer, late]);
  } finally {
    clearTimeout(timer);
  }
}

describe("import of something that is not a regular file", () => {
  it("a FIFO is refused at once, naming the path, and a concurrent memory_get is answered", async () => {
    const { dir, s } = await project();
    await ok(s.client, "memory_store", { key: "still-here", value: 1 });
    mkfifo(path.join(dir, "pipe"));
    const importing = call(s.client, "import", { path: "pipe" }, 30_000).catch((e: Error) => e);
    const got = await getWithin(s, "still-here", 5000);
    expect(got, "memory_get got no answer while import waited on the FIFO").not.toBe("no answer");
    expect((got as { structuredContent: { found: boolean } }).structuredContent.found).toBe(true);
    const r = await importing;
    if (r instanceof Error) throw r;
    expect(r.isError, textOf(r)).toBe(true);
    expect(textOf(r)).toMatch(/'pipe' is a FIFO, not a regular file.*\[INVALID_INPUT\]/);
  });

  it("a socket is refused, and so is a backup folder whose manifest is a FIFO", async () => {
    const { dir, s } = await project();
    const server: Server = createServer();
    await new Promise<void>((r) => server.listen(path.join(dir, "sock"), r));
    cleanups.push(() => server.close());
    const sock = await call(s.client, "import", { path: "sock" });
    expect(sock.isError, textOf(sock)).toBe(true);
    expect(textOf(sock)).toMatch(/'sock' is a socket, not a regular file/);

    mkdirSync(path.join(dir, "backup"));
    mkfifo(path.join(dir, "backup", "manifest.json"));
    const importing = call(s.client, "import", { path: "backup" }, 30_000).catch((e: Error) => e);
    const got = await getWithin(s, "x", 5000);
    expect(got).not.toBe("no answer");
    const r = await importing;
    if (r instanceof Error) throw r;
    expect(r.isError, textOf(r)).toBe(true);
    expect(textOf(r)).toMatch(/manifest\.json' is a FIFO, not a regular file/);
  });
});

describe("fields an imported record brings", () => {
  it("a version over 2^53 - 1 or a date out of range is an item error; the rest is stored and readable", async () => {
    const { dir, s } = await project();
    const records = [
      { key: "huge", value: 1, version: 2 ** 53 },
      { key: "max", value: 2, version: Number.MAX_SAFE_INTEGER },
      { key: "seven", value: 3, version: 7 },
      { key: "far", value: 4, namespace: "sessions", updatedAt: "+275760-09-13T00:00:00.000Z" },
      { key: "nodate", value: 5, createdAt: "soon" },
      { key: "plain", value: 6, updatedAt: "2026-01-02" },
    ];
    writeFileSync(path.join(dir, "in.jsonl"), records.map((r) => JSON.stringify(r)).join("\n"));
    const out = await ok<{ stored: number; errors: Array<{ index: number; message: string }> }>(
      s.client,
      "import",
      { path: "in.jsonl" },
    );
    expect(out.errors.map((e) => e.index)).toEqual([0, 3, 4]);
    expect(out.errors[0]?.message).toMatch(/version 9007199254740992 is out of range: .*9007199254740991/);
    expect(out.errors[1]?.message).toMatch(/updatedAt '\+275760-09-13T00:00:00.000Z' is out of range/);
    expect(out.errors[2]?.message).toMatch(/createdAt 'soon' is not a date/);
    expect(out.stored).toBe(3);

    const get = (key: string, namespace = "default") =>
      ok<{ found: boolean; entry?: { version: number; updatedAt: string } }>(s.client, "memory_get", {
        key,
        namespace,
      });
    expect((await get("huge")).found).toBe(false);
    expect((await get("far", "sessions")).found).toBe(false);
    expect((await get("seven")).entry?.version).toBe(7);
    expect((await get("max")).entry?.version).toBe(Number.MAX_SAFE_INTEGER);
    expect((await get("plain")).entry?.updatedAt).toBe("2026-01-02T00:00:00.000Z");
    const all = await ok<{ results: unknown[] }>(s.client, "memory_query", { keyPrefix: "", limit: 100 });
    expect(all.results).toHaveLength(3);
    const ranked = await ok<{ results: unknown[] }>(s.client, "memory_query", { query: "max seven" });
    expect(ranked.results.length).toBeGreaterThan(0);

    // The one entry at the last safe version cannot be updated again; it says how to go on.
    const next = await call(s.client, "memory_store", { key: "max", value: 3 });
    expect(next.isError).toBe(true);
    expect(textOf(next)).toMatch(/version 9007199254740991.*delete it.*\[LIMIT_EXCEEDED\]/);
    expect((await get("max")).entry?.version).toBe(Number.MAX_SAFE_INTEGER);
  });
});
