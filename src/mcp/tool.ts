/**
 * The one place where a tool meets the protocol: input parsed by the SDK against the tool's zod
 * shape, the service called, the output returned both as `structuredContent` (checked by the SDK
 * against the output schema) and as a short text rendering, and every error turned into an
 * `isError` result an agent can act on. Tool files only declare; they hold no business rules.
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
import { errorMessage, MemoryError } from "../domain/errors.js";
import { withIoMessage } from "../domain/io-errors.js";
import type { MemoryBank, ProgressOptions } from "../service/bank.js";

type Shape = Record<string, z.ZodType>;
type Out<S extends Shape> = z.infer<z.ZodObject<S>>;

export interface ToolContext extends ProgressOptions {}

export interface ToolDefinition<I extends Shape, O extends Shape> {
  name: string;
  title: string;
  description: string;
  inputSchema: I;
  outputSchema: O;
  annotations: ToolAnnotations;
  run(bank: MemoryBank, input: z.infer<z.ZodObject<I>>, ctx: ToolContext): Promise<Out<O>> | Out<O>;
  render(output: Out<O>): string;
  /** Items a call processed (batch throughput in session records); absent for single-item tools. */
  items?(output: Out<O>): number;
}

// biome-ignore lint/suspicious/noExplicitAny: the registry holds tools of every shape
export type AnyTool = ToolDefinition<any, any>;

export function defineTool<I extends Shape, O extends Shape>(
  tool: ToolDefinition<I, O>,
): ToolDefinition<I, O> {
  return tool;
}

export interface ToolHooks {
  /** Observes every call (sessions metrics): name, duration, error code if any. */
  onCall?: (tool: string, ms: number, error?: string) => void;
  /** Marks a call in flight (sessions): `end` is called exactly once when it finishes. */
  begin?: (tool: string) => { end(error?: string, items?: number): void };
}

export function registerTool(
  server: McpServer,
  bank: MemoryBank,
  tool: AnyTool,
  hooks: ToolHooks = {},
): void {
  server.registerTool(
    tool.name,
    {
      title: tool.title,
      description: tool.description,
      inputSchema: tool.inputSchema,
      outputSchema: tool.outputSchema,
      annotations: { title: tool.title, ...tool.annotations },
    },
    async (
      input: unknown,
      extra: RequestHandlerExtra<ServerRequest, ServerNotification>,
    ): Promise<CallToolResult> => {
      const started = performance.now();
      const op = hooks.begin?.(tool.name);
      const token = extra._meta?.progressToken;
      let lastSent = 0;
      const ctx: ToolContext = {
        signal: extra.signal,
        ...(token !== undefined
          ? {
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
            }
          : {}),
      };
      try {
        const output = await tool.run(bank, input as never, ctx);
        hooks.onCall?.(tool.name, performance.now() - started);
        op?.end(undefined, tool.items?.(output));
        return { content: [{ type: "text", text: tool.render(output) }], structuredContent: output };
      } catch (thrown) {
        const error = withIoMessage(thrown);
        const code = error instanceof MemoryError ? error.code : "INTERNAL";
        hooks.onCall?.(tool.name, performance.now() - started, code);
        op?.end(code);
        return toolError(error);
      }
    },
  );
}

export function toolError(thrown: unknown): CallToolResult {
  const error = withIoMessage(thrown);
  const text =
    error instanceof MemoryError
      ? `${error.message} [${error.code}]`
      : `internal error: ${errorMessage(error)}`;
  if (!(error instanceof MemoryError))
    process.stderr.write(`memory-bank: ${(error as Error)?.stack ?? text}\n`);
  return { content: [{ type: "text", text }], isError: true };
}

/** Compact one-line JSON for text renderings, cut so a huge value never floods the agent's context. */
export function brief(value: unknown, max = 200): string {
  const s = typeof value === "string" ? value : JSON.stringify(value);
  return s.length > max ? `${s.slice(0, max)}…` : s;
}
