/**
 * A corrupt snapshot is never silently overwritten: it is moved aside, the state is rebuilt from the
 * newest backup plus the journals, and the server says so on stderr.
 */
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { connect, ok, removeProject, tempProject } from "../helpers.js";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) removeProject(d);
});

describe("corrupt snapshot", () => {
  it("is moved aside and recovered from backup + journal, losing nothing", async () => {
    const dir = tempProject();
    dirs.push(dir);
    const data = path.join(dir, "memory", "claude-flow-data.json");
    // Session 1: writes, then a clean shutdown compacts (generation 1, no backup yet).
    let s = await connect(dir);
    await ok(s.client, "memory_store", { key: "first", value: 1 });
    await s.close();
    // Session 2: more writes; shutdown compacts again, keeping generation 1 as a backup.
    s = await connect(dir);
    await ok(s.client, "memory_store", { key: "second", value: 2 });
    await s.close();
    // Session 3: writes that live only in the journal when we break the snapshot under it.
    s = await connect(dir);
    await ok(s.client, "memory_store", { key: "third", value: 3 });
    process.kill(s.pid as number, "SIGKILL");
    await s.close().catch(() => {});

    const broken = '{"format":1,"generation":2,"count":2,"entries":[\n{"id":"x","key":"sec';
    writeFileSync(data, broken);

    s = await connect(dir);
    try {
      for (const [key, value] of [
        ["first", 1],
        ["second", 2],
        ["third", 3],
      ] as const) {
        const r = await ok<{ results: Array<{ value: unknown }> }>(s.client, "memory_query", { key });
        expect(r.results[0]?.value, key).toBe(value);
      }
      expect(s.stderr()).toMatch(/snapshot was unreadable/);
    } finally {
      await s.close();
    }
    // The damaged file is kept byte for byte.
    const aside = readdirSync(path.join(dir, "memory", "corrupt")).filter((f) =>
      f.startsWith("claude-flow-data.json"),
    );
    expect(aside).toHaveLength(1);
    expect(readFileSync(path.join(dir, "memory", "corrupt", aside[0] as string), "utf8")).toBe(broken);
    expect(JSON.parse(readFileSync(data, "utf8")).entries).toHaveLength(3);
  });

  it("with backupsKept 0, is still rebuilt from the newest archived journal, which is always kept", async () => {
    const dir = tempProject({ memory: { store: { backupsKept: 0 } } });
    dirs.push(dir);
    const data = path.join(dir, "memory", "claude-flow-data.json");
    let s = await connect(dir);
    await ok(s.client, "memory_store", { key: "only", value: 1 });
    await s.close();
    writeFileSync(data, "garbage");
    s = await connect(dir);
    try {
      const r = await ok<{ results: Array<{ value: unknown }> }>(s.client, "memory_query", { key: "only" });
      expect(r.results[0]?.value).toBe(1);
    } finally {
      await s.close();
    }
  });

  it("without any backup, refuses to start and changes no file", async () => {
    const dir = tempProject({ memory: { store: { backupsKept: 0 } } });
    dirs.push(dir);
    const data = path.join(dir, "memory", "claude-flow-data.json");
    const s = await connect(dir);
    await ok(s.client, "memory_store", { key: "only", value: 1 });
    await s.close();
    rmSync(path.join(dir, "memory", "backups"), { recursive: true, force: true });
    writeFileSync(data, "garbage");
    const before = statSync(data).mtimeMs;
    await expect(connect(dir)).rejects.toThrow();
    expect(readFileSync(data, "utf8")).toBe("garbage");
    expect(statSync(data).mtimeMs).toBe(before);
    expect(existsSync(path.join(dir, "memory", "corrupt"))).toBe(false);
  });
});
