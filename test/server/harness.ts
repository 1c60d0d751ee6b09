/**
 * Fixtures for the bank server's tests: sessions started as an agent's registration starts
 * them (`memory-bank serve` over stdio, with the shared bank server on), the CLI with it on,
 * and the server's pid, status and log.
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { expect } from "vitest";
import { isProcessAlive } from "../../src/store/process-alive.js";
import { cli } from "../cli/run.js";
import { type Connected, connect, SHARED_ENV } from "../helpers.js";

export const socketOf = (dir: string) => path.join(dir, "memory", "claude-flow-data.sock");
export const logOf = (dir: string) => path.join(dir, "memory", "claude-flow-data.server.log");

/** A session through the store's bank server (started when none runs). */
export function session(dir: string): Promise<Connected> {
  return connect(dir, [], SHARED_ENV);
}

/** The pid of the bank server a session says it is relayed to. */
export function serverPid(s: Connected): number {
  const m = /through its bank server \(pid (\d+)/.exec(s.stderr());
  if (!m) throw new Error(`the session is not served by a bank server; its stderr:\n${s.stderr()}`);
  return Number(m[1]);
}

export function sharedCli(dir: string, args: string[]) {
  return cli(dir, args, SHARED_ENV);
}

export interface Status {
  running: boolean;
  pid: number;
  version: string;
  clients: { mcp: number; cli: number };
  served: { sessions: number; calls: number };
  rssBytes: number;
}

export async function status(dir: string): Promise<Status> {
  const r = await sharedCli(dir, ["status", "--json"]);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as Status;
}

export function serverLog(dir: string): string {
  return existsSync(logOf(dir)) ? readFileSync(logOf(dir), "utf8") : "";
}

export async function waitFor(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Stops bank servers a test started (by pid) and waits until they are gone, so none outlives its test. */
export async function stopServers(pids: Iterable<number>): Promise<void> {
  const list = [...pids];
  for (const pid of list) {
    try {
      if (isProcessAlive(pid)) process.kill(pid, "SIGTERM");
    } catch {
      // already gone
    }
  }
  await waitFor(() => list.every((pid) => !isProcessAlive(pid)), "the test's bank servers exited", 20_000);
}
