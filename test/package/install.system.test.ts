/**
 * The README's path for a new project, for real: pack this checkout, install the tarball into a
 * second project (no registry holds this package), `init` there, copy that project elsewhere and
 * remove the original (a teammate's clone would `npm install` from its lockfile; here the
 * installed tree travels with the copy instead, to keep this to one install), and the registered
 * command starts the server in the copy and answers an MCP client. One npm
 * install in all: packages come from npm's cache when they are there, else from the registry.
 */
import { execFile } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectRegistered, ROOT, removeProject, tempProject } from "../helpers.js";

const run = promisify(execFile);
const NPM = "npm";
const NPX = "npx";

let work: string;
let project: string;
let tarball: string;
let installLog: string;
let packedFiles: string[] = [];

beforeAll(async () => {
  work = tempProject();
  // Packed from a copy of what the package ships, with the manifest step `npm pack` runs
  // (scripts/pack-manifest.mjs strip) but not its build: the tests run on the dist/ the suite just
  // built, and other tests read this checkout's package.json meanwhile.
  const staged = path.join(work, "staged");
  mkdirSync(staged);
  const pkg = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")) as { files: string[] };
  for (const f of ["package.json", "scripts/pack-manifest.mjs", ...pkg.files])
    cpSync(path.join(ROOT, f), path.join(staged, f), { recursive: true });
  await run(process.execPath, ["scripts/pack-manifest.mjs", "strip"], { cwd: staged });
  const packed = await run(NPM, ["pack", "--ignore-scripts", "--json", "--pack-destination", work], {
    cwd: staged,
    maxBuffer: 16 * 1024 * 1024,
  });
  const info = JSON.parse(packed.stdout) as Array<{ filename: string; files: Array<{ path: string }> }>;
  tarball = path.join(work, info[0]?.filename ?? "");
  packedFiles = info[0]?.files.map((f) => f.path) ?? [];
  project = path.join(work, "app");
  mkdirSync(project);
  writeFileSync(path.join(project, "package.json"), JSON.stringify({ name: "app", version: "1.0.0" }));
  const installed = await run(
    NPM,
    ["install", "--save-dev", "--prefer-offline", "--no-audit", "--no-fund", tarball],
    { cwd: project, maxBuffer: 16 * 1024 * 1024 },
  );
  installLog = installed.stdout + installed.stderr;
}, 300_000);

afterAll(() => {
  if (work) removeProject(work);
});

describe("installing the packed package into another project", () => {
  it("ships the built binary and the LICENSE, and no source maps", () => {
    const files = packedFiles;
    expect(files).toContain("dist/src/cli.js");
    expect(files).toContain("LICENSE");
    expect(files.filter((f) => f.endsWith(".map"))).toEqual([]);
    expect(files.filter((f) => f.startsWith("test/") || f.startsWith("src/"))).toEqual([]);
  });

  it("installs without a warning about install scripts", () => {
    expect(installLog).not.toMatch(/install-scripts|allowScripts|prepare/);
    expect(existsSync(path.join(project, "node_modules", "memory-bank-mcp", "dist", "src", "cli.js"))).toBe(
      true,
    );
  });

  it("init registers a command that starts the server in a copy of the project elsewhere", async () => {
    const init = await run(process.execPath, ["node_modules/memory-bank-mcp/dist/src/cli.js", "init"], {
      cwd: project,
    });
    expect(init.stdout).not.toMatch(/warning/);
    const mcp = readFileSync(path.join(project, ".mcp.json"), "utf8");
    expect(mcp).not.toContain(work);
    const clone = path.join(work, "teammate", "app");
    cpSync(project, clone, { recursive: true, verbatimSymlinks: true });
    // The original is gone, as after a move: nothing may still point into it.
    const gone = `${project}-gone`;
    renameSync(project, gone);
    project = clone;
    const s = await connectRegistered(clone);
    try {
      const stored = await s.client.callTool({
        name: "memory_store",
        arguments: { key: "hello", value: "from the clone" },
      });
      expect(stored.isError).toBeFalsy();
    } finally {
      await s.close();
    }
    expect(existsSync(path.join(clone, "memory", "claude-flow-data.journal"))).toBe(true);
  }, 120_000);

  it("npx --no-install memory-bank-mcp runs the project's own copy (the --npx registration)", async () => {
    const v = await run(NPX, ["--no-install", "memory-bank-mcp", "--version"], { cwd: project });
    const version = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")).version as string;
    expect(v.stdout.trim()).toBe(version);
    // Where the package is not installed it refuses, instead of fetching whatever a registry has.
    const elsewhere = tempProject();
    try {
      await expect(
        run(NPX, ["--no-install", "memory-bank-mcp", "--version"], { cwd: elsewhere }),
      ).rejects.toThrow();
    } finally {
      removeProject(elsewhere);
    }
  }, 120_000);
});
