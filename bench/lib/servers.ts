/**
 * Servers under test, each a real child process spoken to over stdio by the SDK client, exactly as
 * an agent runs them.
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";

/** dist/bench/lib -> the project root. */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
export const OUR_CLI = path.join(ROOT, "dist", "src", "cli.js");
export const PEER_ENTRY = path.join(
  ROOT,
  "node_modules",
  "@modelcontextprotocol",
  "server-memory",
  "dist",
  "index.js",
);

/** The SQLite FTS5 baseline server (bench/peers/sqlite-server.ts), compiled. */
export const SQLITE_PEER_ENTRY = path.join(ROOT, "dist", "bench", "peers", "sqlite-server.js");

export interface Running {
  client: Client;
  pid: number;
  /** Spawn to "initialize" answered: process start, module load and store load. */
  startMs: number;
  /** performance.now() when the process was spawned. */
  spawnedAt: number;
  stderr: () => string;
  call: (name: string, args: Record<string, unknown>) => Promise<CallToolResult>;
  /** Closes stdin and waits for the process to exit (a clean shutdown may compact the store). */
  close: () => Promise<void>;
}

/** Spawns `node ...command` in `cwd` and connects the SDK client to it over stdio. */
export async function startServer(
  command: string[],
  cwd: string,
  env: Record<string, string>,
  timeoutMs: number,
): Promise<Running> {
  const t0 = performance.now();
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: command,
    cwd,
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", ...env },
    stderr: "pipe",
  });
  let err = "";
  transport.stderr?.on("data", (d: Buffer) => {
    err += d.toString();
    if (err.length > 1 << 20) err = err.slice(-(1 << 19));
  });
  const client = new Client({ name: "memory-bank-bench", version: "1.0.0" });
  await client.connect(transport, { timeout: timeoutMs });
  const startMs = performance.now() - t0;
  const pid = transport.pid ?? -1;
  return {
    client,
    pid,
    startMs,
    spawnedAt: t0,
    stderr: () => err,
    call: async (name, args) => {
      const r = (await client.callTool({ name, arguments: args }, undefined, {
        timeout: 600_000,
      })) as CallToolResult;
      if (r.isError) {
        const text = r.content.map((c) => (c.type === "text" ? c.text : "")).join(" ");
        throw new Error(`${name} failed: ${text}`);
      }
      return r;
    },
    close: async () => {
      await client.close();
      await waitForExit(pid, 60_000);
    },
  };
}

/**
 * `serve` opening the store in its own process (no bank server): what sections measuring one
 * server process's start-up and memory start, so that the pid they read is the one holding the
 * store and not a relay to it (section 5 measures the shared bank server).
 */
export const IN_PROCESS = { MEMORY_BANK_SHARED: "0" };

export function startOurs(
  projectDir: string,
  timeoutMs = 120_000,
  env: Record<string, string> = {},
): Promise<Running> {
  return startServer([OUR_CLI, "serve"], projectDir, env, timeoutMs);
}

export function startPeer(memoryFile: string, timeoutMs = 120_000): Promise<Running> {
  return startServer([PEER_ENTRY], path.dirname(memoryFile), { MEMORY_FILE_PATH: memoryFile }, timeoutMs);
}

export function startSqlitePeer(projectDir: string, timeoutMs = 120_000): Promise<Running> {
  return startServer([SQLITE_PEER_ENTRY], projectDir, {}, timeoutMs);
}

/** Resident set size now and at its peak (VmHWM), in bytes, from /proc (Linux). */
export function rssOf(pid: number): { rss: number; peak: number } | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const kb = (name: string) =>
      Number(new RegExp(`^${name}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? Number.NaN);
    return { rss: kb("VmRSS") * 1024, peak: kb("VmHWM") * 1024 };
  } catch {
    return undefined;
  }
}

/**
 * Proportional set size in bytes, from /proc/PID/smaps_rollup (Linux): each page shared by k
 * processes counts 1/k to each. Summed over processes it is what they cost the machine together,
 * where a sum of RSS counts the node binary's shared pages once per process.
 */
export function pssOf(pid: number): number | undefined {
  try {
    const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, "utf8");
    const kb = /^Pss:\s+(\d+) kB/m.exec(rollup)?.[1];
    return kb === undefined ? undefined : Number(kb) * 1024;
  } catch {
    return undefined;
  }
}

export async function waitForExit(pid: number, timeoutMs: number): Promise<void> {
  if (pid <= 0) return;
  const until = Date.now() + timeoutMs;
  while (Date.now() < until && existsSync(`/proc/${pid}`)) {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8").split(" ");
    if (stat[2] === "Z") return; // exited, not yet reaped
    await new Promise((r) => setTimeout(r, 20));
  }
}
