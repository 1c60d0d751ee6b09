/**
 * Where an operation becomes an MCP tool. A tool file (tools/) names its operation and adds only
 * what an agent reads about it: a title, a description and honest annotations. Here the SDK gets
 * the operation's schemas (input is parsed against it; `structuredContent` is checked against the
 * output schema), calls go through the shared invoke path (session records, error codes), the
 * result travels as `structuredContent` plus the operation's short text, and every error becomes
 * an `isError` result an agent can act on: this is the one edge where that happens.
 */
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { RequestHandlerExtra } from "@modelcontextprotocol/sdk/shared/protocol.js";
import type {
  CallToolResult,
  ServerNotification,
  ServerRequest,
  ToolAnnotations,
} from "@modelcontextprotocol/sdk/types.js";
import type { z } from "zod";
import { withKeyLimit } from "../domain/entry.js";
import { errorMessage, MemoryError } from "../domain/errors.js";
import type { MemoryBank } from "../service/bank.js";
import { type CallRecorder, invoke } from "../service/operations/invoke.js";
import type { Operation, OperationContext } from "../service/operations/operation.js";

export interface ToolDefinition<I extends z.ZodObject, O extends z.ZodObject> {
  operation: Operation<I, O>;
  title: string;
  description: string;
  annotations: ToolAnnotations;
}

// biome-ignore lint/suspicious/noExplicitAny: the registry holds tools of every shape
export type AnyTool = ToolDefinition<any, any>;

export function defineTool<I extends z.ZodObject, O extends z.ZodObject>(
  tool: ToolDefinition<I, O>,
): ToolDefinition<I, O> {
  return tool;
}

export function registerTool(
  server: McpServer,
  bank: MemoryBank,
  tool: AnyTool,
  recorder?: CallRecorder,
): void {
  const op = tool.operation;
  server.registerTool(
    op.name,
    {
      title: tool.title,
      description: tool.description,
      inputSchema: withKeyLimit(op.input, bank.config.limits.maxKeyLength),
      outputSchema: op.output,
      annotations: { title: tool.title, ...tool.annotations },
    },
    async (
      input: unknown,
      extra: RequestHandlerExtra<ServerRequest, ServerNotification>,
    ): Promise<CallToolResult> => {
      const ctx: OperationContext = { signal: extra.signal, ...progressOf(extra) };
      const outcome = await invoke(() => op.run(bank, input, ctx), {
        label: op.name,
        recorder,
        items: op.items,
      });
      if (!outcome.ok) return toolError(outcome.error);
      return {
        content: [
          { type: "text", text: op.render(outcome.output) },
          ...(op.links?.(outcome.output) ?? []).map((link: { uri: string; name: string }) => ({
            type: "resource_link" as const,
            ...link,
            description: "the whole entry (this answer holds a preview)",
          })),
        ],
        structuredContent: outcome.output,
      };
    },
  );
}

/** Progress notifications, when the request carries a progressToken. */
function progressOf(extra: RequestHandlerExtra<ServerRequest, ServerNotification>): OperationContext {
  const token = extra._meta?.progressToken;
  if (token === undefined) return {};
  let lastSent = 0;
  return {
    onProgress: (progress: number, total: number, message?: string) => {
      // Throttled: a 100k-entry batch must not become 100k notifications.
      const now = performance.now();
      if (progress < total && now - lastSent < 50) return;
      lastSent = now;
      void extra
        .sendNotification({
          method: "notifications/progress",
          params: { progressToken: token, progress, total, ...(message ? { message } : {}) },
        })
        .catch(() => {});
    },
  };
}

/** An error as an agent sees it: the message that names the field and the fix, then the code. */
export function toolError(error: unknown): CallToolResult {
  const text =
    error instanceof MemoryError
      ? `${error.message} [${error.code}]`
      : `internal error: ${errorMessage(error)}`;
  if (!(error instanceof MemoryError))
    process.stderr.write(`memory-bank: ${error instanceof Error ? (error.stack ?? text) : text}\n`);
  return { content: [{ type: "text", text }], isError: true };
}
