/**
 * Hostile arguments to every CLI verb: each run ends with exit status 0, 1 (a clear error) or 2
 * (a usage error), never with a stack trace, and nothing is written outside the project; the store
 * stays valid for the next process.
 */
import { execFile } from "node:child_process";
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLI } from "../helpers.js";
import { STRESS } from "./harness.js";

const run = promisify(execFile);
let container: string;
let dir: string;

beforeAll(() => {
  container = realpathSync(mkdtempSync(path.join(tmpdir(), "memory-bank-cli-hostile-")));
  dir = path.join(container, "project");
  mkdirSync(dir);
  writeFileSync(path.join(dir, "claude-flow.config.json"), "{}");
  mkdirSync(path.join(container, "elsewhere"));
  writeFileSync(path.join(container, "elsewhere", "secret.json"), '[{"key":"stolen","value":1}]');
  symlinkSync(path.join(container, "elsewhere"), path.join(dir, "link-out"));
  writeFileSync(path.join(dir, "garbage.json"), "{not json");
  writeFileSync(
    path.join(dir, "proto.json"),
    '[{"key":"__proto__","value":{"__proto__":{"x":1}}},{"key":"constructor","value":1}]',
  );
});

afterAll(() => rmSync(container, { recursive: true, force: true }));

const weird = [
  "__proto__",
  "constructor",
  "../../etc/passwd",
  "\u001b[31mred",
  "🧠",
  "a\u0001b",
  "x".repeat(3000),
  "-",
  "--",
];
const paths = [
  "../out.json",
  "/tmp/memory-bank-cli-out.json",
  "link-out/x.json",
  "link-out/secret.json",
  "garbage.json",
  "proto.json",
  "memory/claude-flow-data.journal",
];

function cases(): string[][] {
  const out: string[][] = [];
  const ws = STRESS ? weird : ["__proto__", "\u001b[31mred"];
  for (const w of ws) {
    out.push(["store", w, w], ["get", w], ["delete", w], ["query", w], ["store", "k", w, "--namespace", w]);
    if (STRESS)
      out.push(
        ["parallel-query", w],
        ["concurrent-export", w],
        ["store", "k", "1", "--ttl", w],
        ["stats", "--namespace", w],
      );
  }
  for (const p of STRESS
    ? paths
    : [
        "../out.json",
        "/tmp/memory-bank-cli-out.json",
        "link-out/x.json",
        "memory/claude-flow-data.journal",
      ]) {
    out.push(["export", p], ["import", p]);
    if (STRESS) out.push(["batch-store", p], ["batch-cleanup", p]);
  }
  out.push(
    ["concurrent-export", "../escape"],
    ["batch-store", "proto.json"],
    ["batch-cleanup", "garbage.json"],
  );
  out.push(
    ["index-status"],
    ["debug"],
    ["analyze"],
    ["no-such-verb"],
    ["store"],
    ["store", "k", "[".repeat(50_000)],
  );
  return out;
}

describe("CLI verbs under hostile arguments", () => {
  it(
    "end in 0, 1 or 2 with a message, never a stack trace; nothing is written outside the project",
    async () => {
      const all = cases();
      const failures: string[] = [];
      const queue = [...all];
      const worker = async () => {
        for (let args = queue.shift(); args; args = queue.shift()) {
          const running = run(process.execPath, [CLI, ...args, "--json"], { cwd: dir, timeout: 110_000 });
          // "-" reads a value from stdin: it gets an empty one, as from a script whose stdin is closed.
          running.child.stdin?.end();
          const r = await running.then(
            (x) => ({ code: 0, stderr: x.stderr }),
            (e: { code?: number; stderr?: string }) => ({ code: e.code ?? -1, stderr: e.stderr ?? "" }),
          );
          if (
            ![0, 1, 2].includes(r.code) ||
            /\n\s+at .+:\d+:\d+/.test(r.stderr) ||
            /internal error/i.test(r.stderr)
          ) {
            failures.push(`${JSON.stringify(args).slice(0, 120)} -> ${r.code}: ${r.stderr.slice(0, 300)}`);
          }
        }
      };
      await Promise.all([worker(), worker(), worker()]);
      expect(failures).toEqual([]);
      expect(readdirSync(container).sort()).toEqual(["elsewhere", "project"]);
      expect(readdirSync(path.join(container, "elsewhere"))).toEqual(["secret.json"]);
      const check = await run(process.execPath, [CLI, "index-validate", "--json"], { cwd: dir });
      expect(check.stdout.length).toBeGreaterThan(0);
      process.stderr.write(
        `cli hostile: ${all.length} runs of ${new Set(all.map((a) => a[0])).size} verbs, 0 crashes\n`,
      );
    },
    STRESS ? 900_000 : 120_000,
  ); // the long version runs 118 command lines, some for a minute under load
});
