/**
 * What travels on a bank server's socket besides MCP: newline-delimited JSON-RPC 2.0, as on
 * stdio. Every connection starts with `memory-bank/hello` (the client's version, settings
 * fingerprint and role); the answer says whether this server may be used. Then a connection
 * with role "mcp" carries one MCP session, byte for byte what an agent sends `serve` on stdio;
 * role "cli" carries `memory-bank/run` calls (one operation by name, its raw input) and
 * `memory-bank/status`; `memory-bank/finish` asks the server to stop taking connections and
 * exit once its sessions have ended.
 */
import type { Socket } from "node:net";
import { z } from "zod";

export const HELLO = "memory-bank/hello";
export const RUN = "memory-bank/run";
export const STATUS = "memory-bank/status";
export const FINISH = "memory-bank/finish";
export const PROGRESS = "memory-bank/progress";

/** Largest hello or control message read before the connection is dropped (MCP sessions use memory.transport.maxMessageBytes). */
export const MAX_CONTROL_LINE = 64 * 1024;

export const HelloParamsSchema = z.object({
  version: z.string(),
  fingerprint: z.string(),
  role: z.enum(["mcp", "cli"]),
  pid: z.number().int().optional(),
});
export type HelloParams = z.infer<typeof HelloParamsSchema>;

export const HelloResultSchema = z.object({
  accepted: z.boolean(),
  /** Why not: another version, other settings, or this server is finishing. */
  reason: z.string().optional(),
  version: z.string(),
  pid: z.number().int(),
});
export type HelloResult = z.infer<typeof HelloResultSchema>;

export const BankServerStatusSchema = z.object({
  pid: z.number().int(),
  version: z.string(),
  dataPath: z.string(),
  socket: z.string(),
  startedAt: z.string(),
  uptimeMs: z.number(),
  clients: z.object({ mcp: z.number().int(), cli: z.number().int() }),
  served: z.object({ sessions: z.number().int(), calls: z.number().int() }),
  rssBytes: z.number().int(),
  heapUsedBytes: z.number().int(),
  entries: z.number().int().optional(),
  idleTimeoutMs: z.number().int(),
  log: z.string(),
});
export type BankServerStatus = z.infer<typeof BankServerStatusSchema>;

export const RunParamsSchema = z.object({
  operation: z.string(),
  input: z.unknown(),
  /** The CLI verb, for the session record (cli:<verb>). */
  verb: z.string().optional(),
});

/** The error data of a failed run: the MemoryError code, so the CLI exits as it would in-process. */
export const RunErrorSchema = z.object({ code: z.string().optional() });

/**
 * Reads newline-delimited JSON messages from a socket, at most `maxLine` bytes each. Calls
 * `onLine` per message; a longer line is a protocol error (the caller drops the connection).
 */
export class LineReader {
  private chunks: Buffer[] = [];
  private size = 0;

  constructor(
    private readonly maxLine: number,
    private readonly onLine: (line: string) => void,
    private readonly onTooLong: () => void,
  ) {}

  /** Feeds a chunk; returns the bytes after the last complete line when `stopAfterFirst` says so. */
  feed(chunk: Buffer, stopAfterFirst = false): Buffer | undefined {
    let start = 0;
    while (start < chunk.length) {
      const nl = chunk.indexOf(10, start);
      const end = nl < 0 ? chunk.length : nl;
      this.size += end - start;
      if (this.size > this.maxLine) {
        this.chunks = [];
        this.size = 0;
        this.onTooLong();
        return undefined;
      }
      this.chunks.push(chunk.subarray(start, end));
      if (nl < 0) return undefined;
      const line = Buffer.concat(this.chunks).toString("utf8");
      this.chunks = [];
      this.size = 0;
      start = nl + 1;
      if (line.trim() === "") continue;
      this.onLine(line);
      if (stopAfterFirst) return chunk.subarray(start);
    }
    return undefined;
  }
}

export function sendLine(socket: Socket, message: unknown): boolean {
  if (socket.destroyed) return false;
  return socket.write(`${JSON.stringify(message)}\n`);
}
