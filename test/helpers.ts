/**
 * Test fixtures: temporary project directories, and servers driven by the SDK client either over
 * real stdio (a `serve` process, exactly as an agent runs it) or in this process over the SDK's
 * in-memory transport (the same server wiring: mcp/server.ts's openServer).
 */
import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { afterEach } from "vitest";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
export const CLI = path.join(ROOT, "dist", "src", "cli.js");

/**
 * The environment the suites run processes with. Each process opens the store itself
 * (MEMORY_BANK_SHARED=0): these suites test what that process does with the store (its own
 * log lines, a SIGKILL of it), and test/server/ tests the shared bank server on its own, with
 * `SHARED_ENV`.
 */
export const BASE_ENV = { PATH: process.env.PATH ?? "", MEMORY_BANK_SHARED: "0" };
export const SHARED_ENV = { PATH: process.env.PATH ?? "", MEMORY_BANK_SHARED: "1" };

export function tempProject(config?: unknown): string {
  const dir = realpathSync(mkdtempSync(path.join(tmpdir(), "memory-bank-test-")));
  if (config !== undefined)
    writeFileSync(path.join(dir, "claude-flow.config.json"), JSON.stringify(config, null, 2));
  return dir;
}

export function removeProject(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** A maker of temporary projects for one test file; each is removed after its test. */
export function tempProjects(): (config?: unknown) => string {
  let dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs) removeProject(d);
    dirs = [];
  });
  return (config?: unknown) => {
    const d = tempProject(config);
    dirs.push(d);
    return d;
  };
}

export interface Connected {
  client: Client;
  /** What the server wrote to stderr (its log lines). */
  stderr: () => string;
  /** The server's process: a child over stdio, this process in-process. */
  pid: number | null;
  close: () => Promise<void>;
}

/**
 * How the MCP suites (test/mcp/) reach the server: in this process over the SDK's in-memory
 * transport (the fast tier), or over real stdio when MEMORY_BANK_TEST_TRANSPORT=stdio (the
 * system tier runs the same suites again that way; see vitest.config.ts).
 */
export const MCP_TRANSPORT: "memory" | "stdio" =
  process.env.MEMORY_BANK_TEST_TRANSPORT === "stdio" ? "stdio" : "memory";

/** A server for `cwd` over the transport the tier asks for (MCP_TRANSPORT). */
export function connectServer(cwd: string): Promise<Connected> {
  return MCP_TRANSPORT === "stdio" ? connect(cwd) : connectInProcess(cwd);
}

/**
 * The server of `cwd` in this process, over the SDK's in-memory transport: the config is read as
 * a `serve` started in `cwd` with an empty environment reads it.
 */
export async function connectInProcess(cwd: string): Promise<Connected> {
  const { loadConfig } = await import("../src/config/config.js");
  const { openServer } = await import("../src/mcp/server.js");
  let err = "";
  const log = (m: string) => {
    err += `memory-bank: ${m}\n`;
  };
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  const running = await openServer(loadConfig({ cwd, env: {} }), serverSide, log);
  const client = new Client({ name: "memory-bank-test", version: "1.0.0" });
  await client.connect(clientSide);
  return {
    client,
    stderr: () => err,
    pid: process.pid,
    close: async () => {
      await client.close();
      // The bank closes (and compacts) after the client hangs up: wait, so the directory can go.
      await running.done;
    },
  };
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
    env: { ...BASE_ENV, ...env },
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

  constructor(cwd: string, env: Record<string, string> = {}) {
    this.proc = spawn(process.execPath, [CLI, "serve"], { cwd, env: { ...BASE_ENV, ...env } });
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

/** A `memory-bank serve --http` process: its URL (the port it bound), its log, and how to stop it. */
export interface HttpServer {
  url: string;
  stderr: () => string;
  pid: number;
  /** SIGTERM, then waits for the exit code. */
  stop: () => Promise<number | null>;
}

/**
 * Starts `memory-bank serve --http <listen>` in `cwd` (port 0: any free port) and waits for the
 * line that names its URL; rejects with its stderr when it exits first.
 */
export function startHttpServer(
  cwd: string,
  listen = "127.0.0.1:0",
  env: Record<string, string> = {},
  args: string[] = [],
): Promise<HttpServer> {
  const proc = spawn(process.execPath, [CLI, "serve", "--http", listen, ...args], {
    cwd,
    env: { PATH: process.env.PATH ?? "", ...env },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let err = "";
  const exited = new Promise<number | null>((r) => proc.on("exit", (code) => r(code)));
  return new Promise((resolve, reject) => {
    proc.stderr.on("data", (d: Buffer) => {
      err += d.toString();
      const m = / at (http:\/\/\S+\/mcp)/.exec(err);
      if (m)
        resolve({
          url: m[1] as string,
          stderr: () => err,
          pid: proc.pid as number,
          stop: async () => {
            proc.kill("SIGTERM");
            return exited;
          },
        });
    });
    void exited.then((code) => reject(new Error(`serve --http exited ${code} before listening:\n${err}`)));
  });
}

/** An SDK client connected over Streamable HTTP to `url`, with these request headers. */
export async function connectHttp(url: string, headers: Record<string, string> = {}): Promise<Client> {
  const { StreamableHTTPClientTransport } = await import(
    "@modelcontextprotocol/sdk/client/streamableHttp.js"
  );
  const client = new Client({ name: "memory-bank-test", version: "1.0.0" });
  await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers } }));
  return client;
}

/**
 * The server as a project's `.mcp.json` registers it, started the way Claude Code starts it: the
 * registered command and arguments, run in the project directory, spoken to over stdio.
 */
export async function connectRegistered(projectDir: string, server = "memory-bank"): Promise<Connected> {
  const mcp = JSON.parse(readFileSync(path.join(projectDir, ".mcp.json"), "utf8")) as {
    mcpServers: Record<string, { command: string; args: string[]; env?: Record<string, string> }>;
  };
  const entry = mcp.mcpServers[server];
  if (!entry) throw new Error(`${server} is not registered in ${projectDir}/.mcp.json`);
  // `node` as a client's PATH finds it: this test's node comes first.
  const PATH = `${path.dirname(process.execPath)}${path.delimiter}${process.env.PATH ?? ""}`;
  const transport = new StdioClientTransport({
    command: entry.command,
    args: entry.args,
    cwd: projectDir,
    env: { PATH, HOME: process.env.HOME ?? "", ...(entry.env ?? {}) },
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
    await new Promise((r) => setTimeout(r, 100));
    throw new Error(
      `the registered command (${[entry.command, ...entry.args].join(" ")}) did not start (${(error as Error).message}); its stderr:\n${err}`,
    );
  }
  return { client, stderr: () => err, pid: transport.pid, close: () => client.close() };
}
