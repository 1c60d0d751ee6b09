/**
 * Test fixtures: temporary project directories and real server processes driven by the SDK client
 * over stdio, exactly as an agent runs them.
 */
import { mkdtempSync, realpathSync, rmSync, writeFileSync } from "node:fs";
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

export async function connect(
  cwd: string,
  args: string[] = [],
  env: Record<string, string> = {},
): Promise<Connected> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [CLI, "serve", ...args],
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
