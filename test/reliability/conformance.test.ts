/**
 * Protocol conformance with an independent client: the MCP inspector's CLI mode runs the full
 * handshake (initialize, initialized), tools/list and tools/call against the built server over
 * stdio, exactly as `mcp-inspector --cli node dist/src/cli.js serve --method ...` does by hand.
 *
 * The official conformance suite (@modelcontextprotocol/conformance 0.1.16) is not used: it only
 * drives servers over Streamable HTTP (it connects to a URL) and needs Node 22 (fs.globSync).
 */
import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { CLI, ROOT, removeProject, tempProject } from "../helpers.js";

const run = promisify(execFile);
const INSPECTOR = path.join(ROOT, "node_modules", ".bin", "mcp-inspector");
const dir = tempProject();
afterAll(() => removeProject(dir));

async function inspector(...args: string[]): Promise<Record<string, unknown>> {
  const { stdout } = await run(INSPECTOR, ["--cli", process.execPath, CLI, "serve", ...args], {
    cwd: dir,
    timeout: 110_000,
    maxBuffer: 16 * 1024 * 1024,
  });
  return JSON.parse(stdout) as Record<string, unknown>;
}

describe("MCP inspector CLI", () => {
  it("lists every tool with input and output schemas", async () => {
    const out = await inspector("--method", "tools/list");
    const tools = out.tools as Array<{ name: string; inputSchema: unknown; outputSchema?: unknown }>;
    for (const name of ["memory_store", "memory_query", "batch_store", "parallel_query", "export"]) {
      expect(tools.map((t) => t.name)).toContain(name);
    }
    for (const t of tools) {
      expect(t.inputSchema, t.name).toMatchObject({ type: "object" });
      expect(t.outputSchema, t.name).toMatchObject({ type: "object" });
    }
  });

  it("calls tools: a store from one inspector session is found by the next", async () => {
    const stored = await inspector(
      "--method",
      "tools/call",
      "--tool-name",
      "memory_store",
      "--tool-arg",
      "key=inspector/check",
      "--tool-arg",
      "value=written through the inspector",
    );
    expect(stored.isError).toBeFalsy();
    expect(stored.structuredContent).toMatchObject({
      created: true,
      entry: { key: "inspector/check", version: 1 },
    });
    const found = await inspector(
      "--method",
      "tools/call",
      "--tool-name",
      "memory_query",
      "--tool-arg",
      "key=inspector/check",
    );
    expect(found.structuredContent).toMatchObject({
      results: [{ key: "inspector/check", value: "written through the inspector" }],
    });
    // A tool error is a result with isError (the inspector then exits non-zero), not a broken session.
    const bad = await inspector(
      "--method",
      "tools/call",
      "--tool-name",
      "memory_store",
      "--tool-arg",
      "key=x",
      "--tool-arg",
      "namespace=../outside",
    ).catch((e: { stdout?: string; stderr?: string }) => `${e.stdout ?? ""}${e.stderr ?? ""}`);
    expect(JSON.stringify(bad)).toMatch(/namespace '..\/outside' is invalid/);
  });
});
