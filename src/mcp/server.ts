/**
 * Builds the MCP server from tools/ over one MemoryBank and serves it on stdio. Stdout carries
 * protocol only; everything else goes to stderr.
 */
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import { isJSONRPCRequest } from "@modelcontextprotocol/sdk/types.js";
import type { LoadedConfig } from "../config/config.js";
import { VERSION } from "../config/version.js";
import { MemoryBank } from "../service/bank.js";
import { SessionRecorder, sessionsDir } from "../telemetry/sessions.js";
import { LineTransport } from "./line-transport.js";
import { registerTool, type ToolHooks } from "./tool.js";
import { tools } from "./tools/all.js";

export const INSTRUCTIONS = `Persistent memory shared by every agent working in this project.
- Save a fact, decision or task state with memory_store (key + value; tags and a namespace help later searches). Many at once: batch_store.
- Find things with memory_query: put your question in "query" (typos are fine); use "key" when you know the exact key. Several searches at once: parallel_query.
- memory_get reads one entry by key (found: false when it does not exist); memory_delete removes entries by key, prefix or tags (try dryRun first).
- memory_stats shows what is stored and who is using the store; memory_cleanup removes entries past their TTL or retention (permanent namespaces are never touched).
- export writes memories to a file in the project; import reads our exports, backups, another project's claude-flow-data.json, or the official memory server's memory.jsonl.
- To update safely when other agents may write the same key, pass ifVersion with the version you read.`;

export function buildServer(bank: MemoryBank, hooks: ToolHooks = {}): McpServer {
  const server = new McpServer(
    { name: "memory-bank-mcp", title: "Memory Bank", version: VERSION },
    { instructions: INSTRUCTIONS, capabilities: { tools: {}, logging: {} } },
  );
  for (const tool of tools) registerTool(server, bank, tool, hooks);
  return server;
}

/** The JSON-RPC error for a request that arrives before initialize (as the SDK's HTTP transport says it). */
export const NOT_INITIALIZED = -32000;

/**
 * The MCP lifecycle starts with initialize: before it, a client may only ping. The SDK's server
 * answers any request at any time, so a request other than initialize or ping that arrives first
 * is refused here with a JSON-RPC error, before it reaches a tool. Wraps the handler the SDK
 * installed on the transport, so it must run after connect().
 */
export function answerOnlyAfterInitialize(transport: Transport): void {
  const handle = transport.onmessage;
  let initialized = false;
  transport.onmessage = (message, extra) => {
    if (!initialized && isJSONRPCRequest(message)) {
      if (message.method === "initialize") initialized = true;
      else if (message.method !== "ping") {
        void transport.send({
          jsonrpc: "2.0",
          id: message.id,
          error: {
            code: NOT_INITIALIZED,
            message: `Bad Request: Server not initialized: '${message.method.slice(0, 100)}' came before initialize; send initialize first (only ping is answered before it)`,
          },
        });
        return;
      }
    }
    handle?.(message, extra);
  };
}

export interface RunningServer {
  bank: MemoryBank;
  server: McpServer;
  /** Resolves when the server has shut down (stdin closed or a signal). */
  done: Promise<void>;
}

export async function serveStdio(loaded: LoadedConfig, log: (m: string) => void): Promise<RunningServer> {
  for (const w of loaded.warnings) log(`warning: ${w}`);
  const bank = await MemoryBank.open(loaded, { log });
  const sessions = await SessionRecorder.start(sessionsDir(bank.dataPath), bank.retention, {
    now: () => bank.store.now(),
    kind: "server",
    log,
  });
  const server = buildServer(bank, { begin: (tool) => sessions.begin(tool) });
  server.server.oninitialized = () => {
    const client = server.server.getClientVersion();
    if (client) sessions.setClient(client.name, client.version);
  };
  const transport = new LineTransport(loaded.memory.transport.maxMessageBytes);
  transport.onerror = (e) => log(`transport: ${e.message}`);

  let resolveDone: () => void = () => {};
  const done = new Promise<void>((r) => {
    resolveDone = r;
  });
  let stopping = false;
  const shutdown = async (why: string) => {
    if (stopping) return;
    stopping = true;
    log(`shutting down (${why})`);
    try {
      await server.close();
    } catch {
      // already closed
    }
    await sessions.close();
    await bank.close();
    resolveDone();
  };
  server.server.onclose = () => void shutdown("client disconnected");
  process.once("SIGINT", () => void shutdown("SIGINT"));
  process.once("SIGTERM", () => void shutdown("SIGTERM"));
  await server.connect(transport);
  answerOnlyAfterInitialize(transport);
  log(`serving ${bank.dataPath} (${bank.store.size} entries) on stdio`);
  return { bank, server, done };
}
