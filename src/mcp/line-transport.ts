/**
 * Stdio transport for the server. It speaks the same newline-delimited JSON-RPC as the SDK's
 * StdioServerTransport, with two differences that matter for a memory server:
 * - incoming chunks are collected in a list and joined once per message, so a 20 MB message costs
 *   one copy instead of one per 64 KiB chunk;
 * - a message larger than `maxMessageBytes` is skipped up to its newline and answered with a
 *   JSON-RPC error (the request id is recovered from the start of the message when possible),
 *   instead of the connection being dropped. Unparseable lines get a -32700 parse error. The id is
 *   found by a streaming scan of the top level of the message, wherever it is: the SDK's clients
 *   put it last, after megabytes of params;
 * - a client that stops reading cannot make the server buffer without limit: while stdout is
 *   backed up, or MAX_IN_FLIGHT requests are unanswered, no further message is read from stdin
 *   (the rest of the current chunk waits), so the client's own writes block instead.
 */
import process from "node:process";
import type { Readable, Writable } from "node:stream";
import { deserializeMessage, serializeMessage } from "@modelcontextprotocol/sdk/shared/stdio.js";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import type { JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";
import { errorMessage } from "../domain/errors.js";

/** Requests dispatched and not yet answered before reading stops. */
export const MAX_IN_FLIGHT = 32;

export class LineTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;

  private chunks: Buffer[] = [];
  private size = 0;
  /** Discarding the rest of an oversized message; holds its first bytes to find its id. */
  private skipping: { id: TopLevelId; bytes: number } | undefined;
  private closed = false;
  /** Requests read and not answered yet (cancelled ones are dropped: the SDK answers them never). */
  private readonly inFlight = new Set<string | number>();
  /** Reading is suspended (see MAX_IN_FLIGHT); `rest` is the unread part of the last chunk. */
  private paused = false;
  private rest: Buffer | undefined;
  private drainWaiters: Array<() => void> = [];
  private drainHooked = false;

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

  /**
   * For an input that ended before this transport listened: reads what was left of it, then
   * closes as its end would have. Answers to what it read are still written (the output is open).
   */
  readRest(rest: Buffer): void {
    if (rest.length > 0) this.onData(rest);
    void this.close();
  }

  private readonly onStreamError = (error: Error) => this.onerror?.(error);
  private readonly onEnd = () => void this.close();

  private readonly onData = (chunk: Buffer) => {
    let start = 0;
    while (start < chunk.length) {
      if (this.paused) {
        this.rest = this.rest ? Buffer.concat([this.rest, chunk.subarray(start)]) : chunk.subarray(start);
        return;
      }
      const nl = chunk.indexOf(10, start);
      const end = nl < 0 ? chunk.length : nl;
      const piece = chunk.subarray(start, end);
      if (this.skipping) {
        this.skipping.bytes += piece.length;
        this.skipping.id.feed(piece);
      } else if (this.size + piece.length > this.maxMessageBytes) {
        const id = new TopLevelId();
        for (const c of this.chunks) id.feed(c);
        id.feed(piece);
        this.skipping = { id, bytes: this.size + piece.length };
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
      const { id, bytes } = this.skipping;
      this.skipping = undefined;
      this.reject(
        id.value(),
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
      this.reject(
        TopLevelId.of(line),
        -32700,
        `could not parse the message as JSON-RPC: ${errorMessage(error).slice(0, 300)}`,
      );
      return;
    }
    const m = message as { id?: unknown; method?: unknown; params?: { requestId?: unknown } };
    if (typeof m.method === "string" && (typeof m.id === "string" || typeof m.id === "number")) {
      this.inFlight.add(m.id);
      this.updateFlow();
    } else if (m.method === "notifications/cancelled") {
      const rid = m.params?.requestId;
      if (typeof rid === "string" || typeof rid === "number") this.inFlight.delete(rid);
      this.updateFlow();
    }
    this.onmessage?.(message);
  }

  /** Stops reading while the client is not reading (or too much is in flight); resumes after. */
  private updateFlow(): void {
    if (this.closed) return;
    const blocked = this.inFlight.size >= MAX_IN_FLIGHT || this.output.writableNeedDrain;
    if (blocked && !this.paused) {
      this.paused = true;
      this.input.pause();
    } else if (!blocked && this.paused) {
      this.paused = false;
      const rest = this.rest;
      this.rest = undefined;
      if (rest) this.onData(rest);
      if (!this.paused) this.input.resume();
    }
  }

  private readonly onDrain = () => {
    this.drainHooked = false;
    const waiters = this.drainWaiters;
    this.drainWaiters = [];
    for (const resolve of waiters) resolve();
    this.updateFlow();
  };

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
    const m = message as { id?: unknown; method?: unknown };
    const written = this.output.write(serializeMessage(message));
    if (m.method === undefined && (typeof m.id === "string" || typeof m.id === "number"))
      this.inFlight.delete(m.id);
    if (written) {
      this.updateFlow();
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      this.drainWaiters.push(resolve);
      if (!this.drainHooked) {
        this.drainHooked = true;
        this.output.once("drain", this.onDrain);
      }
      this.updateFlow();
    });
  }
}

/**
 * Finds the top-level "id" of a JSON-RPC message fed in pieces, without parsing or keeping the
 * message: it tracks nesting and strings byte by byte, so an "id" inside params never matches.
 */
export class TopLevelId {
  private depth = 0;
  private inString = false;
  private escaped = false;
  /** Bytes of the depth-1 string being read (a key, if a ':' follows); at most 8 kept. */
  private key: number[] | undefined;
  private lastKey = "";
  /** Raw bytes of the id's value while it is being read. */
  private capture: number[] | undefined;
  private result: string | number | null = null;
  private done = false;

  static of(text: string): string | number | null {
    const id = new TopLevelId();
    id.feed(Buffer.from(text, "utf8"));
    return id.value();
  }

  feed(buf: Buffer): void {
    for (let i = 0; i < buf.length && !this.done; i++) {
      const c = buf[i] as number;
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (c === 0x5c) this.escaped = true;
        else if (c === 0x22) {
          this.inString = false;
          if (this.key) {
            this.lastKey = Buffer.from(this.key).toString("latin1");
            this.key = undefined;
          }
        }
        if (this.key && c !== 0x22) this.key.push(this.key.length < 8 ? c : 0);
        if (this.capture) this.push(c);
        continue;
      }
      if (this.capture) {
        if (this.depth === 1 && (c === 0x2c || c === 0x7d)) {
          this.finish();
          continue;
        }
        if (c === 0x7b || c === 0x5b) {
          this.done = true; // an object or array is no valid id
          continue;
        }
        if (c === 0x22) this.inString = true;
        this.push(c);
        continue;
      }
      switch (c) {
        case 0x22:
          this.inString = true;
          this.key = this.depth === 1 ? [] : undefined;
          break;
        case 0x7b:
        case 0x5b:
          this.depth++;
          break;
        case 0x7d:
        case 0x5d:
          this.depth--;
          break;
        case 0x3a:
          if (this.depth === 1 && this.lastKey === "id") this.capture = [];
          this.lastKey = "";
          break;
        case 0x2c:
          this.lastKey = "";
          break;
      }
    }
  }

  value(): string | number | null {
    return this.result;
  }

  private push(c: number): void {
    const cap = this.capture as number[];
    cap.push(c);
    if (cap.length > 512) this.done = true; // no sane id is this long
  }

  private finish(): void {
    const raw = Buffer.from(this.capture as number[])
      .toString("utf8")
      .trim();
    this.capture = undefined;
    this.done = true;
    try {
      const v: unknown = JSON.parse(raw);
      if (typeof v === "string" || typeof v === "number") this.result = v;
    } catch {
      // not a valid id: answered with null, as JSON-RPC prescribes
    }
  }
}
