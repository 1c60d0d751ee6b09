/**
 * `export` never writes over a file the store owns or the config file, however the path reaches
 * it: through a symlinked `memory/`, through a project opened by a symlinked path (`--config`, as
 * on macOS where /tmp and /var are symlinks), through a symlink or a hard link to a store file.
 * After each refusal a fresh process still sees every acknowledged write.
 */
import { linkSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { type Connected, call, connect, ok, removeProject, tempProject, textOf } from "../helpers.js";

const WRITES = 50;
const dirs: string[] = [];
const open: Connected[] = [];

afterEach(async () => {
  for (const s of open.splice(0)) await s.close().catch(() => {});
  for (const d of dirs.splice(0)) removeProject(d);
});

async function serve(cwd: string, args: string[] = []): Promise<Connected> {
  const s = await connect(cwd, args);
  open.push(s);
  return s;
}

async function writeAll(s: Connected): Promise<void> {
  for (let i = 0; i < WRITES; i++) await ok(s.client, "memory_store", { key: `k${i}`, value: i });
}

/** Kills the server without a clean shutdown: what is acknowledged must already be safe on disk. */
function kill(s: Connected): void {
  if (s.pid) process.kill(s.pid, "SIGKILL");
}

async function countIn(cwd: string, args: string[] = []): Promise<number> {
  const s = await serve(cwd, args);
  const r = await ok<{ results: unknown[] }>(s.client, "memory_query", {
    keyPrefix: "k",
    limit: 1000,
    maxTokens: 200_000,
  });
  return r.results.length;
}

async function refused(s: Connected, file: string): Promise<string> {
  const r = await call(s.client, "export", { path: file, format: "jsonl" });
  expect(r.isError, `export to ${file} was accepted: ${textOf(r)}`).toBe(true);
  expect(textOf(r)).toMatch(/one of the store's own files|the config file/);
  expect(textOf(r)).toMatch(/PATH_OUTSIDE_PROJECT/);
  return textOf(r);
}

/** A project whose memory/ is a symlink to .store/ inside it. */
function aliasedStore(): string {
  const dir = tempProject();
  dirs.push(dir);
  mkdirSync(path.join(dir, ".store"), { mode: 0o700 });
  symlinkSync(".store", path.join(dir, "memory"));
  return dir;
}

describe("export through an alias of the store directory", () => {
  it("memory/ -> .store/: export onto .store/claude-flow-data.journal is refused, nothing is lost", async () => {
    const dir = aliasedStore();
    const s = await serve(dir);
    await writeAll(s);
    await refused(s, ".store/claude-flow-data.journal");
    await refused(s, ".store/claude-flow-data.json.lock");
    await refused(s, ".store/backups/x.json");
    await refused(s, ".store/sessions/x.json");
    kill(s);
    expect(await countIn(dir)).toBe(WRITES);
  });

  it("onto the snapshot after a compaction: refused, and the store opens for every process", async () => {
    const dir = aliasedStore();
    const first = await serve(dir);
    await writeAll(first);
    await first.close(); // a clean shutdown compacts: the entries now live in the snapshot
    const s = await serve(dir);
    await refused(s, ".store/claude-flow-data.json");
    kill(s);
    expect(await countIn(dir)).toBe(WRITES);
  });
});

describe("a project opened through a symlinked path", () => {
  it("--config via a symlink to the project: export onto memory/claude-flow-data.journal is refused", async () => {
    const real = tempProject({ memory: {} });
    dirs.push(real);
    const alias = `${real}-alias`;
    symlinkSync(real, alias);
    dirs.push(alias);
    const config = path.join(alias, "claude-flow.config.json");
    const s = await serve(alias, ["--config", config]);
    await writeAll(s);
    await refused(s, "memory/claude-flow-data.journal");
    await refused(s, "memory/.claude-flow-data.journal.123.0badf00d.tmp");
    kill(s);
    expect(await countIn(real)).toBe(WRITES);
  });
});

describe("other ways to name a store file or the config", () => {
  it("the config file, a symlink to the journal and a hard link to it are refused", async () => {
    const dir = tempProject({ memory: { cacheSize: 100 } });
    dirs.push(dir);
    const configText = readFileSync(path.join(dir, "claude-flow.config.json"), "utf8");
    const s = await serve(dir);
    await writeAll(s);
    expect(await refused(s, "claude-flow.config.json")).toMatch(/config file/);
    expect(readFileSync(path.join(dir, "claude-flow.config.json"), "utf8")).toBe(configText);

    mkdirSync(path.join(dir, "exports"));
    symlinkSync("../memory/claude-flow-data.journal", path.join(dir, "exports", "via-symlink.jsonl"));
    await refused(s, "exports/via-symlink.jsonl");
    linkSync(path.join(dir, "memory", "claude-flow-data.journal"), path.join(dir, "exports", "hard.jsonl"));
    await refused(s, "exports/hard.jsonl");

    // A plain file elsewhere is still fine, and so is the default exports folder in memory/.
    writeFileSync(path.join(dir, "exports", "old.jsonl"), "");
    await ok(s.client, "export", { path: "exports/old.jsonl", format: "jsonl" });
    await ok(s.client, "export", { path: "memory/exports/all.jsonl", format: "jsonl" });
    kill(s);
    expect(await countIn(dir)).toBe(WRITES);
  });
});
