/**
 * What travels on a bank server's socket besides MCP: newline-delimited JSON-RPC 2.0, as on
 * stdio. Every connection starts with `memory-bank/hello` (the client's version, settings
 * fingerprint and role); the answer says whether this server may be used. Then a connection
 * with role "mcp" carries one MCP session, byte for byte what an agent sends `serve` on stdio;
 * role "cli" carries `memory-bank/run` calls (one operation by name, its raw input) and
 * `memory-bank/argv` (a whole command line of a simple verb, cli/lean.ts), and
 * `memory-bank/status`; `memory-bank/finish` asks the server to stop taking connections and
 * exit once its sessions have ended. This file loads no schema library: the lean CLI and the
 * `serve` relay use it (the schemas are in wire-schema.ts, for the server).
 */
import type { Socket } from "node:net";

export const HELLO = "memory-bank/hello";
export const RUN = "memory-bank/run";
export const STATUS = "memory-bank/status";
export const FINISH = "memory-bank/finish";
export const PROGRESS = "memory-bank/progress";
/** A command line run by the bank server itself (cli/served.ts): what the lean CLI sends. */
export const ARGV = "memory-bank/argv";

/** Largest hello or control message read before the connection is dropped (MCP sessions use memory.transport.maxMessageBytes). */
export const MAX_CONTROL_LINE = 64 * 1024;

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
