/**
 * The official MCP conformance suite (@modelcontextprotocol/conformance, a devDependency) against
 * `memory-bank serve --http`. The suite needs Node 22; it runs on the Node 22 binary the npm
 * registry ships (`npm exec -p node@22`, fetched once into npm's cache). Every scenario must pass
 * except those listed in conformance/baseline.yml, each of which needs a fixture of the suite's
 * reference server (test_* tools, test://... resources, test_* prompts) and says so there; the
 * suite itself fails the run if any other scenario fails.
 */
import { spawn } from "node:child_process";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type HttpServer, ROOT, removeProject, startHttpServer, tempProject } from "../helpers.js";

const SUITE = path.join(ROOT, "node_modules", "@modelcontextprotocol", "conformance", "dist", "index.js");
const BASELINE = path.join(ROOT, "test", "e2e", "conformance", "baseline.yml");
/** The scenarios that apply to a memory server: each must be in the summary as passed. */
const APPLICABLE = [
  "server-initialize",
  "logging-set-level",
  "ping",
  "tools-list",
  "tools-call-error",
  "server-sse-multiple-streams",
  "resources-list",
  "prompts-list",
  "dns-rebinding-protection",
];

let dir: string;
let server: HttpServer;

beforeAll(async () => {
  dir = tempProject();
  server = await startHttpServer(dir);
});

afterAll(async () => {
  await server?.stop();
  removeProject(dir);
});

function runSuite(url: string): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      "npm",
      ["exec", "-y", "-p", "node@22", "--", SUITE, "server", "--url", url, "--expected-failures", BASELINE],
      // Results are written under the working directory: the temp project, not the repository.
      {
        cwd: dir,
        env: { ...process.env, npm_config_update_notifier: "false" },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let out = "";
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
    });
    child.stderr.on("data", (d: Buffer) => {
      out += d.toString();
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, out }));
  });
}

describe("the MCP conformance suite over Streamable HTTP", () => {
  it("passes every scenario that applies to a memory server", async () => {
    const { code, out } = await runSuite(server.url);
    if (/Cannot find module|ENOTFOUND|EAI_AGAIN|E404/.test(out) && !out.includes("SUMMARY"))
      throw new Error(
        `the conformance suite could not run (Node 22 from the npm registry is needed):\n${out}`,
      );
    expect(code, out).toBe(0);
    expect(out).toMatch(/Baseline check passed/);
    for (const scenario of APPLICABLE)
      expect(out, scenario).toMatch(new RegExp(`✓ ${scenario}: \\d+ passed, 0 failed`));
  }, 300_000);
});
