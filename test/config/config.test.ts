/** claude-flow.config.json: defaults, validation that names the field, warnings, where it is found. */
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { defaultConfig, loadConfig, resolveConfig } from "../../src/config/config.js";
import { findProjectRoot } from "../../src/config/project.js";
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
    expect(() => loadConfig({ cwd: dir, env: {} })).toThrowError(
      /memory\.cacheSize.*-5.*whole number from 0 to 10000000/,
    );
    const bad = project({ memory: { batchtools: { maxConcurrent: "ten" } } });
    expect(() => loadConfig({ cwd: bad, env: {} })).toThrowError(/memory\.batchtools\.maxConcurrent/);
    const huge = project({ memory: { limits: { maxValueBytes: 20 * 1024 * 1024 } } });
    expect(() => loadConfig({ cwd: huge, env: {} })).toThrowError(/maxValueBytes must be at most 8388608/);
    const retention = project({ memory: { retentionPolicy: { tasks: "forever" } } });
    expect(() => loadConfig({ cwd: retention, env: {} })).toThrowError(/retention 'forever' is invalid/);
    const secrets = project({ memory: { secrets: "hide" } });
    expect(() => loadConfig({ cwd: secrets, env: {} })).toThrowError(
      /memory\.secrets: secrets 'hide' is not one of: report, mask/,
    );
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

  it("states the whole allowed range of a bounded number, upper bound included", () => {
    const dir = project({ memory: { limits: { maxKeyLength: 5000 } } });
    expect(() => loadConfig({ cwd: dir, env: {} })).toThrowError(
      /memory\.limits\.maxKeyLength: limits\.maxKeyLength is 5000: it must be a whole number from 1 to 1024/,
    );
  });

  it("warns about a misspelt memory section and about our fields outside it, not about other tools' sections", () => {
    const typo = resolveConfig({ memorry: { cacheSize: 10 }, orchestrator: { agents: 3 } }, "/p");
    expect(typo.memory).toEqual(defaultConfig());
    expect(typo.warnings).toEqual([
      `top-level field 'memorry' is ignored and the defaults are used: did you mean "memory"?`,
    ]);
    const outside = resolveConfig({ memory: {}, cacheSize: 10, Memory: {} }, "/p");
    expect(outside.warnings).toEqual([
      `top-level field 'cacheSize' is ignored: memory-bank reads only the "memory" section; move it into "memory"`,
      `top-level field 'Memory' is ignored: did you mean "memory"?`,
    ]);
  });

  it("embeddings turned on without a usable endpoint stop start-up, naming the field", () => {
    expect(() => resolveConfig({ memory: { embeddings: { enabled: true, model: "m" } } }, "/p")).toThrowError(
      /memory\.embeddings\.url: embeddings\.url is required when embeddings\.enabled is true/,
    );
    expect(() =>
      resolveConfig({ memory: { embeddings: { enabled: true, url: "ftp://x", model: "m" } } }, "/p"),
    ).toThrowError(
      /memory\.embeddings\.url: embeddings\.url 'ftp:\/\/x' is not an http:\/\/ or https:\/\/ URL/,
    );
    expect(() =>
      resolveConfig({ memory: { embeddings: { enabled: true, url: "http://127.0.0.1:9/api/embed" } } }, "/p"),
    ).toThrowError(/memory\.embeddings\.model: embeddings\.model is required/);
    // Off, nothing is required.
    expect(resolveConfig({ memory: { embeddings: { enabled: false } } }, "/p").warnings).toEqual([]);
  });
});

describe("the project a command belongs to", () => {
  it("is the nearest directory above with the config file, .mcp.json or a memory/ store", () => {
    const root = project({ memory: {} });
    const deep = path.join(root, "src", "lib");
    mkdirSync(deep, { recursive: true });
    expect(findProjectRoot(deep)).toEqual({ dir: root, foundBy: "claude-flow.config.json" });
    const c = loadConfig({ cwd: deep, env: {} });
    expect(c.projectDir).toBe(root);
    expect(c.dataPath).toBe(path.join(root, "memory", "claude-flow-data.json"));
    expect(c.foundBy).toBe("claude-flow.config.json");

    const viaMcp = project();
    writeFileSync(path.join(viaMcp, ".mcp.json"), "{}");
    mkdirSync(path.join(viaMcp, "a", "b"), { recursive: true });
    expect(findProjectRoot(path.join(viaMcp, "a", "b"))).toEqual({ dir: viaMcp, foundBy: ".mcp.json" });

    const viaStore = project();
    mkdirSync(path.join(viaStore, "memory"));
    writeFileSync(path.join(viaStore, "memory", "claude-flow-data.journal"), "");
    mkdirSync(path.join(viaStore, "pkg"));
    expect(findProjectRoot(path.join(viaStore, "pkg"))).toEqual({ dir: viaStore, foundBy: "memory" });
  });

  it("is the repository root when no marker is found, never a folder above it or a source folder named memory", () => {
    const outer = project({ memory: {} });
    const repo = path.join(outer, "repo");
    mkdirSync(path.join(repo, ".git"), { recursive: true });
    // A source module called memory is not a store.
    mkdirSync(path.join(repo, "src", "memory"), { recursive: true });
    writeFileSync(path.join(repo, "src", "memory", "index.ts"), "");
    expect(findProjectRoot(path.join(repo, "src"))).toEqual({ dir: repo, foundBy: "repository root" });
  });

  it("is the working directory outside any repository with no marker above, and the walk stops at home", () => {
    const home = project({ memory: {} });
    const work = path.join(home, "work");
    mkdirSync(work);
    expect(findProjectRoot(work, home)).toEqual({ dir: work, foundBy: "working directory" });
  });
});
