/** Durable file primitives: atomic writes leave 0600 files, and dead writers' temp files are swept. */
import { spawnSync } from "node:child_process";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { sweepDeadTempFiles, writeFileAtomic } from "../../src/store/files.js";
import { JsonStore } from "../../src/store/json/json-store.js";
import { removeProject, tempProject } from "../helpers.js";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) removeProject(d);
});

function deadPid(): number {
  const r = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], {
    encoding: "utf8",
  });
  return Number(r.stdout);
}

describe("files", () => {
  it("writeFileAtomic writes the whole content with mode 0600 and leaves no temp file", async () => {
    const dir = tempProject();
    dirs.push(dir);
    const file = path.join(dir, "out.json");
    const bytes = await writeFileAtomic(file, ["{", '"a":', "1}"]);
    expect(bytes).toBe(7);
    expect(readFileSync(file, "utf8")).toBe('{"a":1}');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readdirSync(dir).filter((f) => f.endsWith(".tmp"))).toEqual([]);
  });

  it("a store opening sweeps temp files of dead writers and keeps live ones", async () => {
    const dir = tempProject();
    dirs.push(dir);
    const mem = path.join(dir, "memory");
    mkdirSync(mem, { recursive: true });
    const dead = path.join(mem, `.claude-flow-data.json.${deadPid()}.0badc0de.tmp`);
    const live = path.join(mem, `.claude-flow-data.json.${process.pid}.0badc0de.tmp`);
    writeFileSync(dead, "half a snapshot");
    writeFileSync(live, "being written");
    const store = new JsonStore({ dataPath: path.join(mem, "claude-flow-data.json"), log: () => {} });
    await store.open();
    expect(existsSync(dead)).toBe(false);
    expect(existsSync(live)).toBe(true);
    expect(sweepDeadTempFiles(mem)).toBe(0);
    await store.close();
  });

  it("a store tightens its directory to 0700 even when something else created it wider", async () => {
    const dir = tempProject();
    dirs.push(dir);
    const mem = path.join(dir, "memory");
    mkdirSync(mem, { mode: 0o755 });
    chmodSync(mem, 0o755);
    const store = new JsonStore({ dataPath: path.join(mem, "claude-flow-data.json"), log: () => {} });
    await store.open();
    expect(statSync(mem).mode & 0o777).toBe(0o700);
    await store.close();
  });
});
