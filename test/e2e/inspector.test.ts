/**
 * The MCP inspector's CLI (@modelcontextprotocol/inspector, a devDependency), a client we did not
 * write, lists and reads our resources and runs our prompts, over stdio and over HTTP.
 */
import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cli } from "../cli/run.js";
import { CLI, type HttpServer, ROOT, removeProject, startHttpServer, tempProject } from "../helpers.js";

const INSPECTOR = path.join(
  ROOT,
  "node_modules",
  "@modelcontextprotocol",
  "inspector-cli",
  "build",
  "index.js",
);
const run = promisify(execFile);

let dir: string;
let http: HttpServer;

beforeAll(async () => {
  dir = tempProject();
  expect((await cli(dir, ["store", "notes/inspected", "seen by the inspector", "--tags", "doc"])).code).toBe(
    0,
  );
  http = await startHttpServer(dir);
});

afterAll(async () => {
  await http?.stop();
  removeProject(dir);
});

async function inspect(target: string[], args: string[]): Promise<Record<string, unknown>> {
  const { stdout } = await run(process.execPath, [INSPECTOR, ...target, ...args], {
    cwd: dir,
    timeout: 110_000,
  });
  return JSON.parse(stdout) as Record<string, unknown>;
}

const stdio = [process.execPath, CLI, "serve"];

describe("the MCP inspector CLI", () => {
  it("lists and reads resources over stdio", async () => {
    const list = await inspect(stdio, ["--method", "resources/list"]);
    expect(JSON.stringify(list)).toContain("memory://default/notes%2Finspected");
    const read = await inspect(stdio, [
      "--method",
      "resources/read",
      "--uri",
      "memory://default/notes%2Finspected",
    ]);
    expect(read.contents).toEqual([
      { uri: "memory://default/notes%2Finspected", mimeType: "text/plain", text: "seen by the inspector" },
    ]);
  });

  it("lists and runs prompts over stdio", async () => {
    const list = (await inspect(stdio, ["--method", "prompts/list"])) as { prompts: Array<{ name: string }> };
    expect(list.prompts.map((p) => p.name)).toEqual([
      "recall",
      "save-decision",
      "handover",
      "review-changes",
    ]);
    const got = await inspect(stdio, [
      "--method",
      "prompts/get",
      "--prompt-name",
      "recall",
      "--prompt-args",
      "topic=inspector",
    ]);
    expect(JSON.stringify(got)).toContain("seen by the inspector");
  });

  it("lists resources and prompts over HTTP", async () => {
    const resources = await inspect([http.url], ["--method", "resources/list"]);
    expect(JSON.stringify(resources)).toContain("memory://default/notes%2Finspected");
    const prompts = await inspect([http.url], ["--method", "prompts/list"]);
    expect(JSON.stringify(prompts)).toContain("review-changes");
  });
});
