/**
 * Test fixtures: temporary project directories and real server processes driven by the SDK client
 * over stdio, exactly as an agent runs them.
 */
import { type ChildProcessWithoutNullStreams, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
export const CLI = path.join(ROOT, "dist", "src", "cli.js");

export function tempProject(config?: unknown): string {
  const dir = realpathSync(mkdtempSync(path.join(tmpdir(), "memory-bank-test-")));
  if (config !== undefined)
    writeFileSync(path.join(dir, "claude-flow.config.json"), JSON.stringify(config, null, 2));
  return dir;
}

export function removeProject(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

export interface Connected {
  client: Client;
  transport: StdioClientTransport;
  stderr: () => string;
  pid: number | null;
  close: () => Promise<void>;
}

export interface ConnectOptions {
  /** A command that runs the server (e.g. setpriv with dropped capabilities): prefix[0] is executed. */
  prefix?: string[];
}

export async function connect(
  cwd: string,
  args: string[] = [],
  env: Record<string, string> = {},
  options: ConnectOptions = {},
): Promise<Connected> {
  const [command, ...before] = [...(options.prefix ?? []), process.execPath];
  const transport = new StdioClientTransport({
    command: command as string,
    args: [...before, CLI, "serve", ...args],
    cwd,
    env: { PATH: process.env.PATH ?? "", ...env },
    stderr: "pipe",
  });
  let err = "";
  transport.stderr?.on("data", (d: Buffer) => {
    err += d.toString();
  });
  const client = new Client({ name: "memory-bank-test", version: "1.0.0" });
  try {
    await client.connect(transport);
  } catch (error) {
    // A server that refuses to start says why on stderr: make that the test's failure message.
    await new Promise((r) => setTimeout(r, 100));
    throw new Error(`the server did not start (${(error as Error).message}); its stderr:\n${err}`);
  }
  return {
    client,
    transport,
    stderr: () => err,
    pid: transport.pid,
    close: async () => {
      await client.close();
    },
  };
}

export async function call(client: Client, name: string, args: Record<string, unknown>, timeout = 60_000) {
  return (await client.callTool({ name, arguments: args }, undefined, { timeout })) as CallToolResult;
}

/** Calls a tool and returns its structuredContent, failing the test on isError. */
export async function ok<T = Record<string, unknown>>(
  client: Client,
  name: string,
  args: Record<string, unknown>,
) {
  const r = await call(client, name, args);
  if (r.isError) throw new Error(`${name} failed: ${textOf(r)}`);
  return r.structuredContent as T;
}

export function textOf(r: CallToolResult): string {
  return r.content.map((c) => (c.type === "text" ? c.text : "")).join("\n");
}

/** The initialize request (id 0) a raw client sends first. */
export function initializeRequest(client: string) {
  return {
    jsonrpc: "2.0",
    id: 0,
    method: "initialize",
    params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: client, version: "1" } },
  };
}

/** A server driven with raw bytes, for what a well-behaved client cannot even send. */
export class RawServer {
  private proc: ChildProcessWithoutNullStreams;
  private buf = "";
  private waiters = new Map<unknown, (m: Record<string, unknown>) => void>();
  exited = false;

  constructor(cwd: string) {
    this.proc = spawn(process.execPath, [CLI, "serve"], { cwd, env: { PATH: process.env.PATH ?? "" } });
    this.proc.on("exit", () => {
      this.exited = true;
    });
    this.proc.stderr.resume();
    this.proc.stdout.on("data", (d: Buffer) => {
      this.buf += d.toString("utf8");
      for (let nl = this.buf.indexOf("\n"); nl >= 0; nl = this.buf.indexOf("\n")) {
        const line = this.buf.slice(0, nl);
        this.buf = this.buf.slice(nl + 1);
        const m = JSON.parse(line) as Record<string, unknown>;
        this.waiters.get(m.id)?.(m);
        this.waiters.delete(m.id);
      }
    });
  }

  send(raw: string | Buffer, id: unknown): Promise<Record<string, unknown>> {
    const answer = new Promise<Record<string, unknown>>((resolve) => this.waiters.set(id, resolve));
    this.proc.stdin.write(raw);
    this.proc.stdin.write("\n");
    return answer;
  }

  async init(): Promise<Record<string, unknown>> {
    const answer = await this.send(JSON.stringify(initializeRequest("raw")), 0);
    this.proc.stdin.write(`${JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" })}\n`);
    return answer;
  }

  kill(): void {
    this.proc.kill("SIGKILL");
  }
}

/** Runs a command the test set-up needs; a failure stops the test with the command's own words. */
function run(command: string, args: string[]): string {
  const r = spawnSync(command, args, { encoding: "utf8" });
  if (r.status !== 0) {
    throw new Error(
      `${command} ${args.join(" ")} failed (${r.error?.message ?? `exit ${r.status}`}): ${r.stderr}`,
    );
  }
  return r.stdout;
}

const isRoot = () => process.getuid?.() === 0;

function findFaketime(): string | undefined {
  for (const lib of ["/usr/lib", "/usr/local/lib", "/usr/lib64"]) {
    const dirs = existsSync(lib) ? readdirSync(lib).map((d) => path.join(lib, d, "faketime")) : [];
    for (const d of [path.join(lib, "faketime"), ...dirs]) {
      const so = path.join(d, "libfaketimeMT.so.1");
      if (existsSync(so)) return so;
    }
  }
  return undefined;
}

/**
 * The environment that runs a process with its clock shifted by `offset` ("+40d", "-40d") through
 * libfaketime (Debian package `faketime`), which fakes what the C library reports as the time,
 * exactly what a wrong or jumping clock looks like to one process. Installed with apt-get when
 * missing and running as root (as CI does); otherwise the test fails and says how to get it.
 */
export function fakeClock(offset: string): Record<string, string> {
  let lib = findFaketime();
  if (!lib && isRoot()) {
    const install = () =>
      spawnSync("apt-get", ["install", "-y", "--no-install-recommends", "faketime"], { encoding: "utf8" });
    if (install().status !== 0) {
      spawnSync("apt-get", ["update"], { encoding: "utf8" });
      install();
    }
    lib = findFaketime();
  }
  if (!lib) {
    throw new Error(
      "libfaketime is needed to run a process with a shifted clock and was not found: install it with `apt-get install faketime` (as root), then run the tests again",
    );
  }
  const env = { LD_PRELOAD: lib, FAKETIME: offset, FAKETIME_DONT_FAKE_MONOTONIC: "1" };
  // A library that loads but does not shift the clock would make every clock test meaningless.
  const seen = Number(
    spawnSync(process.execPath, ["-e", "process.stdout.write(String(Date.now()))"], {
      env: { PATH: process.env.PATH ?? "", ...env },
      encoding: "utf8",
    }).stdout,
  );
  if (!Number.isFinite(seen) || Math.abs(seen - Date.now()) < 3_600_000) {
    throw new Error(`libfaketime at ${lib} did not shift the clock of a child process by ${offset}`);
  }
  return env;
}

/**
 * Makes `dir` read-only (EROFS for every write) by bind-mounting it onto itself read-only; returns
 * the function that undoes it. Needs root (CI runs as root); elsewhere the test fails and says so.
 */
export function mountReadOnly(dir: string): () => void {
  if (!isRoot()) {
    throw new Error(`mounting ${dir} read-only needs root (CI runs as root): run this test as root`);
  }
  run("mount", ["--bind", dir, dir]);
  try {
    run("mount", ["-o", "remount,ro,bind", dir]);
  } catch (error) {
    run("umount", [dir]);
    throw error;
  }
  return () => run("umount", [dir]);
}

/**
 * The command prefix under which a process gets EACCES from file permissions: root keeps its
 * uid but loses the capabilities that override permissions; any other user has none to lose.
 */
export function withoutPermissionOverride(): string[] {
  if (!isRoot()) return [];
  run("setpriv", ["--version"]);
  return ["setpriv", "--bounding-set", "-dac_override,-dac_read_search,-fowner", "--"];
}
