/**
 * Recovering a damaged snapshot is slow on a large store, and MCP clients kill servers that are
 * slow to start: a process killed at any moment of a recovery must leave a store that the next
 * process recovers again, never one that looks new and empty. 20,001 entries, clean shutdown,
 * snapshot cut in half; a `memory-bank get` is started and SIGKILLed at several moments of its
 * recovery (right after it first writes into corrupt/, while the rebuilt snapshot is being
 * written, at random delays); then a plain run must see all 20,001 entries.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { cpSync, type FSWatcher, mkdirSync, statSync, truncateSync, watch, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { cli, cliJson } from "../cli/run.js";
import { CLI, removeProject, tempProject } from "../helpers.js";
import { sleep } from "./harness.js";

const N = 20_001;
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) removeProject(d);
});

function whenNameAppears(dir: string, match: RegExp): { promise: Promise<void>; stop: () => void } {
  mkdirSync(dir, { recursive: true });
  let resolve: () => void = () => {};
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  const w: FSWatcher = watch(dir, (_e, name) => {
    if (name && match.test(String(name))) resolve();
  });
  return { promise, stop: () => w.close() };
}

function start(dir: string): ChildProcess {
  return spawn(process.execPath, [CLI, "get", "k0"], { cwd: dir, stdio: "ignore" });
}

describe("a kill during snapshot recovery", () => {
  it("at any moment leaves a store the next process recovers in full", async () => {
    const template = tempProject({ memory: { store: { backupsKept: 3 } } });
    dirs.push(template);
    const lines = Array.from({ length: N }, (_, i) => JSON.stringify({ key: `k${i}`, value: `value ${i}` }));
    writeFileSync(path.join(template, "entries.jsonl"), `${lines.join("\n")}\n`);
    const stored = await cli(template, ["batch-store", "entries.jsonl"]);
    expect(stored.code, stored.stderr).toBe(0);
    const snapshot = path.join(template, "memory", "claude-flow-data.json");
    truncateSync(snapshot, Math.floor(statSync(snapshot).size / 2));

    const moments = ["first write into corrupt/", "rebuilt snapshot being written", "random", "random"];
    const outcomes: string[] = [];
    for (const [i, moment] of moments.entries()) {
      const dir = tempProject();
      dirs.push(dir);
      cpSync(path.join(template, "memory"), path.join(dir, "memory"), { recursive: true });
      cpSync(path.join(template, "claude-flow.config.json"), path.join(dir, "claude-flow.config.json"));
      const memory = path.join(dir, "memory");
      const trigger =
        moment === "first write into corrupt/"
          ? whenNameAppears(path.join(memory, "corrupt"), /./)
          : moment === "rebuilt snapshot being written"
            ? whenNameAppears(memory, /^\.claude-flow-data\.json\..*\.tmp$/)
            : { promise: sleep(80 + i * 170), stop: () => {} };
      const child = start(dir);
      const exited = new Promise((r) => child.once("exit", r));
      await Promise.race([trigger.promise, exited, sleep(20_000)]);
      trigger.stop();
      child.kill("SIGKILL");
      await exited;

      const stats = await cliJson<{ entries: number }>(dir, ["stats"]);
      outcomes.push(`${moment}: ${stats.entries} of ${N}`);
      expect(stats.entries, `killed at ${moment}: entries seen by the next process`).toBe(N);
      const got = await cli(dir, ["get", `k${N - 1}`]);
      expect(got.code, got.stderr).toBe(0);
    }
    process.stderr.write(`kill during recovery: ${outcomes.join("; ")}\n`);
  }, 240_000);
});
