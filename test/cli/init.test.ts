/**
 * `memory-bank init`: a registration every teammate's clone can start (relative to the project,
 * which is the directory Claude Code starts servers in, or an npx pinned to this package), the
 * store kept out of git, the servers already registered kept, and `--remove`.
 */
import { cpSync, mkdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it, vi } from "vitest";
import { connectRegistered, ROOT, tempProjects } from "../helpers.js";
import { cli, cliJson } from "./run.js";

vi.setConfig({ testTimeout: 60_000 });

const project = tempProjects();

interface InitOut {
  mcpJson: { action: string; servers: string[] };
  config: { action: string };
  gitignore?: { path: string; action: string };
  command: string[];
  warnings: string[];
}

/** A project with this package installed the way `npm install /path/to/clone` installs it: a link. */
function projectWithPackage(): string {
  const dir = project();
  mkdirSync(path.join(dir, "node_modules"));
  symlinkSync(ROOT, path.join(dir, "node_modules", "memory-bank-mcp"));
  return dir;
}

function registered(dir: string): { command: string; args: string[] } {
  return JSON.parse(readFileSync(path.join(dir, ".mcp.json"), "utf8")).mcpServers["memory-bank"];
}

describe("init", () => {
  it("registers a command relative to the project, with no absolute path, no npm, no bare npx", async () => {
    const dir = projectWithPackage();
    const r = await cliJson<InitOut>(dir, ["init"]);
    expect(r).toMatchObject({ mcpJson: { action: "created" }, config: { action: "created" } });
    expect(registered(dir)).toEqual({
      command: "node",
      args: ["node_modules/memory-bank-mcp/dist/src/cli.js", "serve"],
      env: {},
    });
    const text = readFileSync(path.join(dir, ".mcp.json"), "utf8");
    expect(text).not.toContain(dir);
    expect(text).not.toContain(ROOT);
    expect(text).not.toMatch(/npm|npx/);
    // The link is fine here, and a teammate is told what it means for them.
    expect(r.warnings.join("\n")).toMatch(/is a link to .*a teammate's clone needs its own install/);
    const config = JSON.parse(readFileSync(path.join(dir, "claude-flow.config.json"), "utf8"));
    expect(config.memory.retentionPolicy.agents).toBe("permanent");
    // The written config is one the server accepts without warnings.
    const stats = await cli(dir, ["stats"]);
    expect(stats.code).toBe(0);
    expect(stats.stderr).toBe("");
  });

  it("the registered command starts the server after the project is copied elsewhere", async () => {
    const dir = projectWithPackage();
    await cliJson<InitOut>(dir, ["init"]);
    const moved = path.join(project(), "checkout-elsewhere");
    cpSync(dir, moved, { recursive: true, verbatimSymlinks: true });
    const s = await connectRegistered(moved);
    try {
      const { tools } = await s.client.listTools();
      expect(tools.map((t) => t.name)).toContain("memory_store");
      await s.client.callTool({ name: "memory_store", arguments: { key: "moved", value: "works" } });
    } finally {
      await s.close();
    }
    // It served the moved project's own store, not the original's.
    expect(statSync(path.join(moved, "memory", "claude-flow-data.journal")).isFile()).toBe(true);
    const got = await cliJson<{ found: boolean }>(dir, ["get", "moved"]).catch(() => ({ found: false }));
    expect(got.found).toBe(false);
  });

  it("keeps the store out of git with memory/.gitignore, and prints the next steps", async () => {
    const dir = projectWithPackage();
    const r = await cli(dir, ["init"]);
    expect(r.code).toBe(0);
    const ignore = readFileSync(path.join(dir, "memory", ".gitignore"), "utf8");
    expect(ignore.split("\n")).toContain("*");
    expect(statSync(path.join(dir, "memory")).mode & 0o777).toBe(0o700);
    expect(r.stdout).toMatch(/memory\/\.gitignore: created/);
    expect(r.stdout).toMatch(/Next:\n.*Commit \.mcp\.json/);
    expect(r.stdout).toMatch(/Claude Code/);
    // A .gitignore of the project's own is never replaced.
    writeFileSync(path.join(dir, "memory", ".gitignore"), "mine\n");
    await cli(dir, ["init"]);
    expect(readFileSync(path.join(dir, "memory", ".gitignore"), "utf8")).toBe("mine\n");
  });

  it("warns when the package is not installed in the project, and still writes the portable command", async () => {
    const dir = project();
    const r = await cli(dir, ["init"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/warning: memory-bank-mcp is not installed in .*npm install --save-dev/);
    expect(registered(dir).args[0]).toBe("node_modules/memory-bank-mcp/dist/src/cli.js");
  });

  it("in this package's own checkout, registers node dist/src/cli.js serve", async () => {
    // The built module, which lives where an installed package's does (dist/src/...).
    const built = pathToFileURL(path.join(ROOT, "dist", "src", "service", "operations", "init.js")).href;
    const { serverCommand } = (await import(built)) as typeof import("../../src/service/operations/init.js");
    expect(serverCommand(ROOT, false)).toEqual({ command: "node", args: ["dist/src/cli.js", "serve"] });
  });

  it("--npx pins the package: npx --no-install memory-bank-mcp, which never fetches another", async () => {
    const dir = projectWithPackage();
    const other = { command: "uvx", args: ["other-server"], env: { TOKEN_ENV: "X" } };
    writeFileSync(path.join(dir, ".mcp.json"), JSON.stringify({ mcpServers: { other }, extra: true }));
    writeFileSync(path.join(dir, "claude-flow.config.json"), JSON.stringify({ memory: { cacheSize: 7 } }));
    const r = await cliJson<InitOut>(dir, ["init", "--npx"]);
    expect(r).toMatchObject({
      mcpJson: { action: "added", servers: ["other", "memory-bank"] },
      config: { action: "kept" },
    });
    const mcp = JSON.parse(readFileSync(path.join(dir, ".mcp.json"), "utf8"));
    expect(mcp.mcpServers.other).toEqual(other);
    expect(mcp.extra).toBe(true);
    expect(mcp.mcpServers["memory-bank"]).toMatchObject({
      command: "npx",
      args: ["--no-install", "memory-bank-mcp", "serve"],
    });
    expect(JSON.parse(readFileSync(path.join(dir, "claude-flow.config.json"), "utf8"))).toEqual({
      memory: { cacheSize: 7 },
    });
    expect((await cliJson<InitOut>(dir, ["init", "--npx"])).mcpJson.action).toBe("unchanged");
  });

  it("--remove unregisters only this server, keeping the others, the config and the store", async () => {
    const dir = projectWithPackage();
    const other = { command: "uvx", args: ["other-server"] };
    writeFileSync(path.join(dir, ".mcp.json"), JSON.stringify({ mcpServers: { other } }));
    await cliJson(dir, ["init"]);
    await cliJson(dir, ["store", "keep", "me"]);
    const r = await cli(dir, ["init", "--remove"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/memory-bank removed \(servers: other\)/);
    const mcp = JSON.parse(readFileSync(path.join(dir, ".mcp.json"), "utf8"));
    expect(mcp.mcpServers).toEqual({ other });
    expect(statSync(path.join(dir, "claude-flow.config.json")).isFile()).toBe(true);
    expect((await cliJson<{ found: boolean }>(dir, ["get", "keep"])).found).toBe(true);
    expect((await cliJson<InitOut>(dir, ["init", "--remove"])).mcpJson.action).toBe("absent");
  });

  it("refuses to overwrite a .mcp.json that is not valid JSON", async () => {
    const dir = project();
    writeFileSync(path.join(dir, ".mcp.json"), "{ not json");
    const r = await cli(dir, ["init"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/is not valid JSON .* init will not overwrite it/);
    expect(readFileSync(path.join(dir, ".mcp.json"), "utf8")).toBe("{ not json");
  });
});
