/**
 * The MCP door: the server built from tools/ over one MemoryBank, connected to a transport (stdio
 * for agents; the SDK's in-memory transport for in-process tests) with the lifecycle held to
 * initialize-first and every call recorded in the process's session record. On stdio, stdout
 * carries protocol only; everything else goes to stderr.
 */
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import { isJSONRPCRequest } from "@modelcontextprotocol/sdk/types.js";
import type { LoadedConfig } from "../config/config.js";
import { VERSION } from "../config/version.js";
import { MemoryBank } from "../service/bank.js";
import type { CallRecorder } from "../service/operations/invoke.js";
import { SessionRecorder } from "../telemetry/sessions.js";
import { LineTransport } from "./line-transport.js";
import { registerTool } from "./tool.js";
import { tools } from "./tools/all.js";

export const INSTRUCTIONS = `Persistent memory shared by every agent working in this project.
- Save a fact, decision or task state with memory_store (key + value; tags and a namespace help later searches). Many at once: batch_store.
- Find things with memory_query: put your question in "query" (typos are fine); use "key" when you know the exact key. Several searches at once: parallel_query.
- memory_get reads one entry by key (found: false when it does not exist); memory_delete removes entries by key, prefix or tags (try dryRun first).
- memory_stats shows what is stored and who is using the store; memory_cleanup removes entries past their TTL or retention (permanent namespaces are never touched).
- export writes memories to a file in the project; import reads our exports, backups, another project's claude-flow-data.json, or the official memory server's memory.jsonl.
- To update safely when other agents may write the same key, pass ifVersion with the version you read.`;

export function buildServer(bank: MemoryBank, recorder?: CallRecorder): McpServer {
  const server = new McpServer(
    { name: "memory-bank-mcp", title: "Memory Bank", version: VERSION },
    { instructions: INSTRUCTIONS, capabilities: { tools: {}, logging: {} } },
  );
  for (const tool of tools) registerTool(server, bank, tool, recorder);
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
  /** Closes the session, its record and the bank (once); `done` resolves after. */
  shutdown(why: string): Promise<void>;
  /** Resolves when the server has shut down (the client disconnected, a signal, or shutdown()). */
  done: Promise<void>;
}

/**
 * Opens the bank of `loaded`, builds the server over it and connects it to `transport`: what
 * `serve` does on stdio, and what in-process tests do over the SDK's in-memory transport.
 */
export async function openServer(
  loaded: LoadedConfig,
  transport: Transport,
  log: (m: string) => void,
): Promise<RunningServer> {
  for (const w of loaded.warnings) log(`warning: ${w}`);
  const bank = await MemoryBank.open(loaded, { log });
  const sessions = await SessionRecorder.start(bank.layout.sessions, bank.retention, {
    now: () => bank.now(),
    kind: "server",
    log,
  });
  const server = buildServer(bank, sessions);
  server.server.oninitialized = () => {
    const client = server.server.getClientVersion();
    if (client) sessions.setClient(client.name, client.version);
  };
  let resolveDone: () => void = () => {};
  const done = new Promise<void>((r) => {
    resolveDone = r;
  });
  let stopping: Promise<void> | undefined;
  const shutdown = (why: string) => {
    stopping ??= (async () => {
      log(`shutting down (${why})`);
      try {
        await server.close();
      } catch {
        // already closed
      }
      await sessions.close();
      await bank.close();
      resolveDone();
    })();
    return stopping;
  };
  server.server.onclose = () => void shutdown("client disconnected");
  await server.connect(transport);
  answerOnlyAfterInitialize(transport);
  return { bank, server, shutdown, done };
}

export async function serveStdio(loaded: LoadedConfig, log: (m: string) => void): Promise<RunningServer> {
  const transport = new LineTransport(loaded.memory.transport.maxMessageBytes);
  transport.onerror = (e) => log(`transport: ${e.message}`);
  const running = await openServer(loaded, transport, log);
  process.once("SIGINT", () => void running.shutdown("SIGINT"));
  process.once("SIGTERM", () => void running.shutdown("SIGTERM"));
  log(`serving ${running.bank.dataPath} (${running.bank.read().size} entries) on stdio`);
  return running;
}
