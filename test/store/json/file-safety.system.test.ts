/**
 * The store's own files are only ever what the store made them: names that collide with
 * compaction's backups cannot block it, links are never followed into other files, and only
 * directories the store owns get their mode changed.
 */
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { cli } from "../../cli/run.js";
import { connect, tempProjects } from "../../helpers.js";
import { contents, dataPath, openStore, put, tempDirs } from "./fixtures.js";

const fresh = tempDirs();
const project = tempProjects();

const mode = (p: string) => statSync(p).mode & 0o777;

describe("names that collide with compaction's files", () => {
  it("concurrent-export refuses a backup name the store uses for its own backups", async () => {
    const dir = project();
    await cli(dir, ["store", "k", "v"]);
    for (const name of ["claude-flow-data.5.json", "claude-flow-data.7.journal", "claude-flow-data.x"]) {
      const r = await cli(dir, ["concurrent-export", name]);
      expect(r.code, `${name}: ${r.stdout}`).toBe(1);
      expect(r.stderr).toMatch(/reserved for the store's own backups/);
      expect(existsSync(path.join(dir, "memory", "backups", name))).toBe(false);
    }
  });

  it("a folder already named like a backup file blocks neither compaction nor recovery", async () => {
    const dir = fresh();
    const backups = path.join(path.dirname(dataPath(dir)), "backups");
    mkdirSync(path.join(backups, "claude-flow-data.1.json"), { recursive: true });
    mkdirSync(path.join(backups, "claude-flow-data.1.journal"), { recursive: true });
    const { store, logs } = await openStore(dir);
    for (let g = 0; g < 4; g++) {
      await put(store, `k${g}`, g);
      const r = await store.compact("test");
      expect(r?.generation).toBe(g + 1);
    }
    expect(logs.join("\n")).toMatch(/is not a file the store wrote/);
    await store.close();
    // A damaged snapshot is still rebuilt from the backups that are files.
    writeFileSync(dataPath(dir), "garbage");
    const again = await openStore(dir);
    expect(contents(again.store)).toEqual({
      "default/k0": 0,
      "default/k1": 1,
      "default/k2": 2,
      "default/k3": 3,
    });
    await again.store.close();
  });
});

describe("links are never followed", () => {
  it("a journal that is a symlink to a file elsewhere is neither appended to nor cut: the store refuses it", async () => {
    const dir = fresh();
    const outside = path.join(dir, "outside.txt");
    writeFileSync(outside, "somebody else's file\nwithout a final newline");
    const memory = path.dirname(dataPath(dir));
    mkdirSync(memory, { recursive: true });
    symlinkSync(outside, path.join(memory, "claude-flow-data.journal"));
    const before = readFileSync(outside);
    let error: unknown;
    try {
      const { store } = await openStore(dir);
      await put(store, "k", 1);
      await store.close();
    } catch (e) {
      error = e;
    }
    expect(String(error)).toMatch(/symbolic link/);
    expect(readFileSync(outside)).toEqual(before);
  });

  it("a snapshot that is a symlink is refused the same way", async () => {
    const dir = fresh();
    const outside = path.join(dir, "elsewhere.json");
    writeFileSync(outside, JSON.stringify({ entries: [] }));
    const memory = path.dirname(dataPath(dir));
    mkdirSync(memory, { recursive: true });
    symlinkSync(outside, dataPath(dir));
    await expect(openStore(dir)).rejects.toThrow(/symbolic link/);
  });
});

describe("directory modes", () => {
  it("a store created in its own new directory makes it 0700", async () => {
    const dir = fresh();
    const { store } = await openStore(dir);
    await put(store, "k", 1);
    expect(mode(path.dirname(dataPath(dir)))).toBe(0o700);
    await store.close();
  });

  it("an existing memory/ that holds only store files (a fresh checkout) is tightened to 0700", async () => {
    const dir = fresh();
    const memory = path.dirname(dataPath(dir));
    mkdirSync(memory, { mode: 0o755 });
    chmodSync(memory, 0o755);
    writeFileSync(path.join(memory, ".gitignore"), "*\n");
    const { store } = await openStore(dir);
    expect(mode(memory)).toBe(0o700);
    await store.close();
  });

  it('"path": "./data.json" never changes the project directory\'s mode: it warns instead', async () => {
    const dir = project({ memory: { path: "./data.json" } });
    chmodSync(dir, 0o755);
    writeFileSync(path.join(dir, "README.md"), "a project\n");
    const s = await connect(dir);
    await s.client.callTool({ name: "memory_store", arguments: { key: "k", value: 1 } });
    await s.close();
    expect(mode(dir)).toBe(0o755);
    expect(s.stderr()).toMatch(/readable by other users.*chmod 700/);
    expect(mode(path.join(dir, "data.json"))).toBe(0o600);
  });

  it("a data path under a shared directory that holds other things leaves that directory's mode alone", async () => {
    const dir = fresh();
    const shared = path.join(dir, "shared");
    mkdirSync(shared);
    chmodSync(shared, 0o755);
    writeFileSync(path.join(shared, "other-tool.conf"), "x");
    const { store, logs } = await openStore(dir, { dataPath: path.join(shared, "claude-flow-data.json") });
    await put(store, "k", 1);
    expect(mode(shared)).toBe(0o755);
    expect(logs.join("\n")).toMatch(/readable by other users/);
    await store.close();
  });
});
