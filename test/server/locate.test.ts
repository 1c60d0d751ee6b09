/**
 * The lean path finds the same store and server as the full path: server/locate.ts, reading
 * only the raw config file, agrees with loadConfig on the project, the data path and the
 * fingerprint the server computes from the text it loaded, or declines and leaves it to loadConfig.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/config.js";
import { locate, rawFingerprintOf } from "../../src/server/locate.js";
import { tempProjects } from "../helpers.js";

const project = tempProjects();

/** What the bank server started from this project would answer to. */
function serverSide(cwd: string, env: NodeJS.ProcessEnv = {}) {
  const loaded = loadConfig({ cwd, env });
  return {
    dataPath: loaded.dataPath,
    projectDir: loaded.projectDir,
    fingerprint: rawFingerprintOf(loaded.projectDir, loaded.dataPath, loaded.file ? loaded.text : undefined),
  };
}

describe("locate", () => {
  it("agrees with loadConfig from the root and from a subdirectory, with and without a config file", () => {
    for (const config of [undefined, {}, { memory: { path: "./data/bank.json" } }, { other: { x: 1 } }]) {
      const dir = project(config);
      const sub = path.join(dir, "src", "lib");
      mkdirSync(sub, { recursive: true });
      for (const cwd of [dir, sub])
        expect(locate(cwd, {}), JSON.stringify(config)).toMatchObject(serverSide(cwd));
    }
  });

  it("follows MEMORY_BANK_CONFIG as loadConfig does", () => {
    const dir = project({});
    const other = path.join(dir, "elsewhere");
    mkdirSync(other);
    writeFileSync(path.join(other, "alt.json"), JSON.stringify({ memory: { path: "./m/alt.json" } }));
    const env = { MEMORY_BANK_CONFIG: "elsewhere/alt.json" };
    expect(locate(dir, env)).toMatchObject(serverSide(dir, env));
    expect(locate(dir, env)?.dataPath).toBe(path.join(other, "m", "alt.json"));
  });

  it("gives another fingerprint for other text, even with the same settings", () => {
    const dir = project({ memory: {} });
    const before = locate(dir, {})?.fingerprint;
    writeFileSync(path.join(dir, "claude-flow.config.json"), '{ "memory": {} }\n');
    expect(locate(dir, {})?.fingerprint).not.toBe(before);
    expect(locate(dir, {})).toMatchObject(serverSide(dir));
  });

  it("declines whatever the full path must decide or report", () => {
    const dir = project({});
    const file = path.join(dir, "claude-flow.config.json");
    expect(locate(dir, { MEMORY_BANK_SHARED: "0" })).toBeUndefined();
    expect(locate(dir, { MEMORY_BANK_CONFIG: "missing.json" })).toBeUndefined();
    for (const text of [
      "{not json",
      "[]",
      '{"memory": 3}',
      '{"memory": {"path": 7}}',
      '{"memory": {"path": ""}}',
      '{"memory": {"server": {"shared": false}}}',
      '{"memory": {"server": {"shared": "yes"}}}',
      '{"memory": {"server": 1}}',
      `{"memory": {}, "pad": "${"x".repeat(20_000)}"}`,
    ]) {
      writeFileSync(file, text);
      expect(locate(dir, {}), text.slice(0, 60)).toBeUndefined();
    }
  });
});
