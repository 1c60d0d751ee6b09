/** claude-flow.config.json: defaults, validation that names the field, warnings, where it is found. */
import { writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { defaultConfig, loadConfig, resolveConfig } from "../../src/config/config.js";
import { MemoryError } from "../../src/domain/errors.js";
import { removeProject, tempProject } from "../helpers.js";

const dirs: string[] = [];
const project = (config?: unknown) => {
  const d = tempProject(config);
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) removeProject(d);
});

describe("config", () => {
  it("a missing file means exactly the seed defaults", () => {
    const dir = project();
    const c = loadConfig({ cwd: dir, env: {} });
    expect(c.file).toBeUndefined();
    expect(c.memory).toEqual(defaultConfig());
    expect(c.memory.cacheSize).toBe(5000);
    expect(c.memory.batchtools).toMatchObject({ maxConcurrent: 10, batchSize: 100, parallelIndexing: true });
    expect(c.memory.namespaces).toEqual(["default", "agents", "tasks", "sessions", "sparc", "batchtools"]);
    expect(c.memory.retentionPolicy).toEqual({
      sessions: "30d",
      tasks: "90d",
      agents: "permanent",
      sparc: "180d",
      batchtools: "60d",
    });
    expect(c.memory.performance).toMatchObject({ concurrentQueries: 20, batchWriteSize: 50 });
    expect(c.dataPath).toBe(path.join(dir, "memory", "claude-flow-data.json"));
  });

  it("the repository's own claude-flow.config.json is valid and equals the defaults it documents", () => {
    const c = loadConfig({ cwd: path.resolve(import.meta.dirname, ".."), env: {} });
    expect(c.warnings).toEqual([]);
    expect(c.memory).toEqual(defaultConfig());
  });

  it("a bad field stops loading with a message naming the field and what is allowed", () => {
    const dir = project({ memory: { cacheSize: -5 } });
    expect(() => loadConfig({ cwd: dir, env: {} })).toThrowError(/memory\.cacheSize.*-5.*whole number >= 0/);
    const bad = project({ memory: { batchtools: { maxConcurrent: "ten" } } });
    expect(() => loadConfig({ cwd: bad, env: {} })).toThrowError(/memory\.batchtools\.maxConcurrent/);
    const huge = project({ memory: { limits: { maxValueBytes: 20 * 1024 * 1024 } } });
    expect(() => loadConfig({ cwd: huge, env: {} })).toThrowError(/maxValueBytes must be at most 8388608/);
    const retention = project({ memory: { retentionPolicy: { tasks: "forever" } } });
    expect(() => loadConfig({ cwd: retention, env: {} })).toThrowError(/retention 'forever' is invalid/);
  });

  it("errors are MemoryErrors with code CONFIG_INVALID, also for broken JSON", () => {
    const dir = project();
    writeFileSync(path.join(dir, "claude-flow.config.json"), "{ not json");
    try {
      loadConfig({ cwd: dir, env: {} });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(MemoryError);
      expect((error as MemoryError).code).toBe("CONFIG_INVALID");
      expect((error as Error).message).toMatch(/not valid JSON/);
    }
  });

  it("unknown fields inside memory are warnings; other top-level sections are left alone", () => {
    const c = resolveConfig(
      { memory: { cacheSize: 10, colour: "blue", batchtools: { turbo: true } }, ui: {} },
      "/p",
    );
    expect(c.memory.cacheSize).toBe(10);
    expect(c.warnings).toEqual([
      "unknown config field memory.colour is ignored",
      "unknown config field memory.batchtools.turbo is ignored",
    ]);
  });

  it("--config and MEMORY_BANK_CONFIG pick another file; relative paths resolve against its directory", () => {
    const dir = project();
    const other = path.join(dir, "other.json");
    writeFileSync(other, JSON.stringify({ memory: { path: "./data/store.json", cacheSize: 7 } }));
    const viaFlag = loadConfig({ cwd: "/", configPath: other, env: {} });
    expect(viaFlag.memory.cacheSize).toBe(7);
    expect(viaFlag.dataPath).toBe(path.join(dir, "data", "store.json"));
    const viaEnv = loadConfig({ cwd: "/", env: { MEMORY_BANK_CONFIG: other } });
    expect(viaEnv.file).toBe(other);
    expect(() => loadConfig({ cwd: dir, configPath: "missing.json", env: {} })).toThrowError(
      /does not exist/,
    );
  });
});
