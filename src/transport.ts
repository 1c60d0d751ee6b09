/**
 * Stdio transport for the server. It speaks the same newline-delimited JSON-RPC as the SDK's
 * StdioServerTransport, with two differences that matter for a memory server:
 * - incoming chunks are collected in a list and joined once per message, so a 20 MB message costs
 *   one copy instead of one per 64 KiB chunk;
 * - a message larger than `maxMessageBytes` is skipped up to its newline and answered with a
 *   JSON-RPC error (the request id is recovered from the start of the message when possible),
 *   instead of the connection being dropped. Unparseable lines get a -32700 parse error.
 */
import process from "node:process";
import type { Readable, Writable } from "node:stream";
import { deserializeMessage, serializeMessage } from "@modelcontextprotocol/sdk/shared/stdio.js";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import type { JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";

export class LineTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;

  private chunks: Buffer[] = [];
  private size = 0;
  /** Discarding the rest of an oversized message; holds its first bytes to find its id. */
  private skipping: { head: string; bytes: number } | undefined;
  private closed = false;

  constructor(
    private readonly maxMessageBytes: number,
    private readonly input: Readable = process.stdin,
    private readonly output: Writable = process.stdout,
  ) {}

  async start(): Promise<void> {
    this.input.on("data", this.onData);
    this.input.on("error", this.onStreamError);
    this.input.on("end", this.onEnd);
  }

  private readonly onStreamError = (error: Error) => this.onerror?.(error);
  private readonly onEnd = () => void this.close();

  private readonly onData = (chunk: Buffer) => {
    let start = 0;
    while (start < chunk.length) {
      const nl = chunk.indexOf(10, start);
      const end = nl < 0 ? chunk.length : nl;
      const piece = chunk.subarray(start, end);
      if (this.skipping) {
        this.skipping.bytes += piece.length;
      } else if (this.size + piece.length > this.maxMessageBytes) {
        const head = Buffer.concat([...this.chunks, piece]).subarray(0, 4096).toString("utf8");
        this.skipping = { head, bytes: this.size + piece.length };
        this.chunks = [];
        this.size = 0;
      } else {
        this.chunks.push(piece);
        this.size += piece.length;
      }
      if (nl < 0) break;
      this.finishLine();
      start = nl + 1;
    }
  };

  private finishLine(): void {
    if (this.skipping) {
      const { head, bytes } = this.skipping;
      this.skipping = undefined;
      this.reject(
        recoverId(head),
        -32600,
        `message of ${bytes} bytes exceeds the server's limit of ${this.maxMessageBytes} bytes (memory.transport.maxMessageBytes): send less per call, e.g. split a batch`,
      );
      return;
    }
    const line = (this.chunks.length === 1 ? (this.chunks[0] as Buffer) : Buffer.concat(this.chunks))
      .toString("utf8")
      .replace(/\r$/, "");
    this.chunks = [];
    this.size = 0;
    if (line.trim() === "") return;
    let message: JSONRPCMessage;
    try {
      message = deserializeMessage(line);
    } catch (error) {
      this.reject(recoverId(line.slice(0, 4096)), -32700, `could not parse the message as JSON-RPC: ${(error as Error).message.slice(0, 300)}`);
      return;
    }
    this.onmessage?.(message);
  }

  private reject(id: string | number | null, code: number, message: string): void {
    this.onerror?.(new Error(message));
    // JSON-RPC answers an unreadable request with id null; our schema typing insists on an id.
    void this.send({ jsonrpc: "2.0", id, error: { code, message } } as unknown as JSONRPCMessage);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.input.off("data", this.onData);
    this.input.off("error", this.onStreamError);
    this.input.off("end", this.onEnd);
    this.chunks = [];
    this.onclose?.();
  }

  send(message: JSONRPCMessage): Promise<void> {
    return new Promise((resolve) => {
      if (this.output.write(serializeMessage(message))) resolve();
      else this.output.once("drain", resolve);
    });
  }
}

function recoverId(head: string): string | number | null {
  const m = /"id"\s*:\s*(-?\d+|"(?:[^"\\]|\\.){0,200}")/.exec(head);
  if (!m?.[1]) return null;
  try {
    return JSON.parse(m[1]) as string | number;
  } catch {
    return null;
  }
}
