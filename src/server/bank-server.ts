/**
 * The bank server: one long-lived process per store that owns its MemoryBank (the store, the
 * search index, the cache, compaction), so N agent sessions and every CLI call pay for the store
 * once. It listens on a Unix socket (endpoint.ts) and serves each connection on its own: an MCP
 * session over the same bank (the server factory of mcp/server.ts, so progress, cancellation and
 * notifications work as on stdio), or a CLI call by operation name (wire.ts).
 *
 * Exactly one serves a store: a starter binds the socket while holding the claim lock (lock.ts:
 * taken over only from a dead holder); a socket nobody answers on is a crashed server's and is
 * removed under that lock, so two starters never remove each other's. The loser exits: its
 * clients connect to the winner. The server is just one more process under the store's lock and
 * journal rules, so a SIGKILL loses no acknowledged write.
 *
 * It exits after memory.server.idleTimeoutMs with no connection, when asked to finish (a client
 * of another version or other settings: it stops taking connections at once and exits when its
 * sessions end), when its socket is removed, or on SIGTERM/SIGINT. It never compacts because a
 * session ended or it exits: the store compacts when its journal passes store.compactAfterBytes.
 */
import { lstatSync, unlinkSync } from "node:fs";
import { createConnection, createServer, type Server, type Socket } from "node:net";
import type { LoadedConfig } from "../config/config.js";
import { VERSION } from "../config/version.js";
import { errorMessage, MemoryError } from "../domain/errors.js";
import { parseInput } from "../domain/input.js";
import { LineTransport } from "../mcp/line-transport.js";
import { answerOnlyAfterInitialize, buildServer } from "../mcp/server.js";
import { MemoryBank } from "../service/bank.js";
import { operations } from "../service/operations/all.js";
import { invoke } from "../service/operations/invoke.js";
import type { OperationContext } from "../service/operations/operation.js";
import { ensurePrivateDir } from "../store/files.js";
import { acquireLock } from "../store/json/lock.js";
import { storeLayout } from "../store/layout.js";
import { SessionRecorder } from "../telemetry/sessions.js";
import { endpointOf, fingerprintOf } from "./endpoint.js";
import { rawFingerprintOf } from "./locate.js";
import {
  ARGV,
  FINISH,
  HELLO,
  LineReader,
  MAX_CONTROL_LINE,
  PROGRESS,
  RUN,
  STATUS,
  sendLine,
} from "./wire.js";
import {
  ArgvParamsSchema,
  type ArgvResult,
  type BankServerStatus,
  HelloParamsSchema,
  type HelloResult,
  RunParamsSchema,
} from "./wire-schema.js";

/** A connection whose client has not read its answers for this long is dropped (it cannot make us buffer). */
const STALLED_MS = 60_000;
/** How often the server checks that its socket is still in place (a removed store directory ends it). */
const SOCKET_CHECK_MS = 2000;

/**
 * How the server runs a whole command line (memory-bank/argv): the CLI's own verb code
 * (cli/served.ts), handed in by the CLI's bank-server verb, so this layer does not reach up into
 * the CLI. Without one, every command line is answered "fallback" and the CLI runs it itself.
 */
export type ArgvRunner = (
  argv: string[],
  served: { bank: MemoryBank; recorder: SessionRecorder | undefined; loaded: LoadedConfig },
) => Promise<ArgvResult>;

export async function runBankServer(
  loaded: LoadedConfig,
  log: (m: string) => void,
  runArgv?: ArgvRunner,
): Promise<number> {
  const layout = storeLayout(loaded.dataPath);
  await ensurePrivateDir(loaded.dataPath, log);
  const { socket: socketPath } = endpointOf(loaded.dataPath);
  const claim = await acquireLock(layout.serverClaim, {
    staleMs: loaded.memory.store.lockStaleMs,
    waitMs: 15_000,
    log,
  });
  let listener: Server;
  let inode: number;
  try {
    const bound = await bind(socketPath, log);
    if (!bound) {
      log(`a bank server already serves ${loaded.dataPath}; this one exits`);
      return 0;
    }
    listener = bound;
    inode = lstatSync(socketPath).ino;
  } finally {
    await claim.release();
  }
  return new BankServer(loaded, listener, socketPath, inode, log, runArgv).run();
}

/** Listens on `socketPath`, removing a stale socket first; undefined when a live server answers there. */
async function bind(socketPath: string, log: (m: string) => void): Promise<Server | undefined> {
  for (let attempt = 0; ; attempt++) {
    const server = createServer({ allowHalfOpen: true });
    try {
      await listen(server, socketPath);
      return server;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EADDRINUSE" || attempt > 0) throw error;
      if (await answers(socketPath)) return undefined;
      log(
        `removing the stale socket ${socketPath} (nobody answers on it: its server ended without cleaning up)`,
      );
      unlinkSync(socketPath);
    }
  }
}

function listen(server: Server, socketPath: string): Promise<void> {
  // The socket is created by bind(2) with the umask's mode: 0600 from the first instant.
  const umask = process.umask(0o177);
  return new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(socketPath, () => {
      server.off("error", reject);
      resolve();
    });
  }).finally(() => process.umask(umask));
}

/** True when something accepts a connection on the socket. */
export function answers(socketPath: string, timeoutMs = 2000): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createConnection(socketPath);
    const done = (alive: boolean) => {
      clearTimeout(timer);
      s.destroy();
      resolve(alive);
    };
    // A server that accepts but is too busy to answer is alive: only a refused connection is stale.
    const timer = setTimeout(() => done(true), timeoutMs);
    s.once("connect", () => done(true));
    s.once("error", () => done(false));
  });
}

class BankServer {
  private readonly connections = new Map<Socket, "hello" | "mcp" | "cli">();
  private readonly startedAt = Date.now();
  private readonly fingerprint: string;
  /** The fingerprint of the config file's text (locate.ts), when this server knows the text it loaded. */
  private readonly rawFingerprint: string | undefined;
  private bank: Promise<MemoryBank>;
  private recorder: Promise<SessionRecorder | undefined>;
  private finishing: string | undefined;
  private idleTimer: NodeJS.Timeout | undefined;
  private socketCheck: NodeJS.Timeout | undefined;
  private served = { sessions: 0, calls: 0 };
  private exited: (code: number) => void = () => {};
  private exitCode = 0;
  private entries: number | undefined;

  constructor(
    private readonly loaded: LoadedConfig,
    private readonly listener: Server,
    private readonly socketPath: string,
    private readonly inode: number,
    private readonly log: (m: string) => void,
    private readonly runArgv: ArgvRunner | undefined,
  ) {
    this.fingerprint = fingerprintOf(loaded);
    this.rawFingerprint =
      loaded.file === undefined || loaded.text !== undefined
        ? rawFingerprintOf(loaded.projectDir, loaded.dataPath, loaded.file ? loaded.text : undefined)
        : undefined;
    this.bank = MemoryBank.open(loaded, { log });
    this.bank.catch(() => {});
    this.recorder = this.bank.then(
      (bank) =>
        SessionRecorder.start(bank.layout.sessions, bank.retention, {
          now: () => bank.now(),
          kind: "server",
          log,
        }),
      () => undefined,
    );
  }

  run(): Promise<number> {
    const done = new Promise<number>((resolve) => {
      this.exited = resolve;
    });
    this.listener.on("connection", (socket) => this.accept(socket));
    this.listener.on("error", (error) => this.log(`listener: ${errorMessage(error)}`));
    this.log(`bank server ${VERSION} (pid ${process.pid}) listening on ${this.socketPath}`);
    this.bank.then(
      (bank) => {
        this.entries = bank.read().size;
        this.log(`serving ${bank.dataPath} (${this.entries} entries)`);
      },
      (error) => {
        this.exitCode = 1;
        this.finish(`could not open the store: ${errorMessage(error)}`);
      },
    );
    this.socketCheck = setInterval(() => {
      if (!this.socketIsOurs()) this.finish(`its socket ${this.socketPath} was removed`);
    }, SOCKET_CHECK_MS);
    this.socketCheck.unref();
    process.once("SIGTERM", () => this.finish("SIGTERM", true));
    process.once("SIGINT", () => this.finish("SIGINT", true));
    this.armIdle();
    return done;
  }

  private accept(socket: Socket): void {
    if (this.finishing) {
      socket.destroy();
      return;
    }
    this.connections.set(socket, "hello");
    this.disarmIdle();
    socket.on("error", () => {}); // a client that vanished: its close below is what matters
    socket.on("close", () => {
      this.connections.delete(socket);
      if (this.finishing) this.exitWhenAlone();
      else this.armIdle();
    });
    let first = "";
    const reader = new LineReader(
      MAX_CONTROL_LINE,
      (line) => {
        first = line;
      },
      () => socket.destroy(),
    );
    const onData = (chunk: Buffer) => {
      const rest = reader.feed(chunk, true);
      if (rest === undefined) return;
      socket.off("data", onData);
      socket.pause();
      void this.hello(socket, first, rest);
    };
    socket.on("data", onData);
  }

  private async hello(socket: Socket, line: string, rest: Buffer): Promise<void> {
    let id: unknown = null;
    let params: ReturnType<typeof HelloParamsSchema.parse>;
    try {
      const message = JSON.parse(line) as { id?: unknown; method?: unknown; params?: unknown };
      id = message.id ?? null;
      if (message.method !== HELLO) throw new Error(`the first message must be ${HELLO}`);
      params = HelloParamsSchema.parse(message.params);
    } catch (error) {
      sendLine(socket, { jsonrpc: "2.0", id, error: { code: -32600, message: errorMessage(error) } });
      socket.end();
      return;
    }
    const answer = (result: HelloResult) => sendLine(socket, { jsonrpc: "2.0", id, result });
    const refuse = (reason: string) => {
      answer({ accepted: false, reason, version: VERSION, pid: process.pid });
      socket.end();
    };
    // A client that read only the file's text cannot tell whether other text means other
    // settings: it is told to take the full path, which compares settings, and this server stays.
    if (params.raw && (params.version !== VERSION || params.fingerprint !== this.rawFingerprint))
      return refuse("settings unknown: the config file's text differs from this server's");
    if (!params.raw && (params.version !== VERSION || params.fingerprint !== this.fingerprint)) {
      const why =
        params.version !== VERSION
          ? `a client of version ${params.version} asked for its own server (this one is ${VERSION})`
          : "a client with other settings (the config changed) asked for its own server";
      this.finish(why);
      refuse(`finishing: ${why}`);
      return;
    }
    if (this.finishing) return refuse(`finishing: ${this.finishing}`);
    let bank: MemoryBank;
    try {
      bank = await this.bank;
    } catch (error) {
      return refuse(`could not open the store: ${errorMessage(error)}`);
    }
    if (socket.destroyed) return;
    answer({
      accepted: true,
      version: VERSION,
      pid: process.pid,
      ...(params.raw ? { warnings: this.loaded.warnings } : {}),
    });
    this.connections.set(socket, params.role);
    // A client that hung up right after its hello (a session whose stdin was empty) has had its
    // end emitted already, with nobody listening: unshifting would fail, and waiting for an end
    // would wait forever. The MCP session is handed what came with the hello and told.
    if (params.role === "mcp") return this.session(socket, bank, rest);
    if (socket.readableEnded) {
      socket.end();
      return;
    }
    if (rest.length > 0) socket.unshift(rest);
    this.cli(socket, bank);
  }

  /** One MCP session on the connection, over the shared bank. */
  private async session(socket: Socket, bank: MemoryBank, rest: Buffer): Promise<void> {
    this.served.sessions++;
    // Each session has its own record (memory_stats lists it with its client), as on stdio.
    const recorder = await SessionRecorder.start(bank.layout.sessions, bank.retention, {
      now: () => bank.now(),
      kind: "server",
      log: this.log,
    }).catch(() => undefined);
    const transport = new LineTransport(this.loaded.memory.transport.maxMessageBytes, socket, socket);
    transport.onerror = (e) => this.log(`session: ${e.message}`);
    const server = buildServer(bank, recorder);
    server.server.oninitialized = () => {
      const client = server.server.getClientVersion();
      if (client) recorder?.setClient(client.name, client.version);
    };
    server.server.onclose = () => {
      if (!socket.destroyed) socket.end();
    };
    socket.on("close", () => {
      void server.close().catch(() => {});
      void recorder?.close().catch(() => {});
    });
    this.watchStall(socket);
    await server.connect(transport);
    answerOnlyAfterInitialize(transport);
    if (socket.readableEnded) return transport.readRest(rest);
    if (rest.length > 0) socket.unshift(rest);
    // Paused since the hello; the transport pauses and resumes it from here on (back-pressure).
    socket.resume();
  }

  /** CLI calls on the connection: each names an operation and carries its raw input. */
  private cli(socket: Socket, bank: MemoryBank): void {
    const abort = new AbortController();
    socket.on("close", () => abort.abort());
    // The CLI hangs up when it has its answers.
    socket.on("end", () => socket.end());
    this.watchStall(socket);
    const reader = new LineReader(
      this.loaded.memory.transport.maxMessageBytes,
      (line) => void this.call(socket, bank, line, abort.signal),
      () => {
        sendLine(socket, {
          jsonrpc: "2.0",
          id: null,
          error: {
            code: -32600,
            message: `message exceeds the server's limit of ${this.loaded.memory.transport.maxMessageBytes} bytes (memory.transport.maxMessageBytes)`,
          },
        });
        socket.end();
      },
    );
    socket.on("data", (chunk: Buffer) => {
      reader.feed(chunk);
      // A client that does not read its answers is not read from either: its writes block.
      if (socket.writableNeedDrain) {
        socket.pause();
        socket.once("drain", () => socket.resume());
      }
    });
    socket.resume();
  }

  private async call(socket: Socket, bank: MemoryBank, line: string, signal: AbortSignal): Promise<void> {
    let message: { id?: unknown; method?: unknown; params?: unknown };
    try {
      message = JSON.parse(line);
    } catch (error) {
      sendLine(socket, { jsonrpc: "2.0", id: null, error: { code: -32700, message: errorMessage(error) } });
      return;
    }
    const id = message.id ?? null;
    const reply = (result: unknown) => sendLine(socket, { jsonrpc: "2.0", id, result });
    const fail = (message: string, code?: string) =>
      sendLine(socket, { jsonrpc: "2.0", id, error: { code: -32000, message, data: { code } } });
    if (message.method === STATUS) return void reply(this.status());
    if (message.method === FINISH) {
      reply({ finishing: true });
      this.finish("asked to finish");
      return;
    }
    if (message.method === ARGV) {
      const params = ArgvParamsSchema.safeParse(message.params);
      if (!params.success) return void fail(`send ${ARGV} with {argv: string[]}`);
      this.served.calls++;
      return void reply(await this.argv(params.data.argv, bank));
    }
    if (message.method !== RUN) return void fail(`unknown method ${String(message.method).slice(0, 100)}`);
    const params = RunParamsSchema.safeParse(message.params);
    const op = params.success ? operations.get(params.data.operation) : undefined;
    if (!params.success || !op) return void fail(`unknown operation: send ${RUN} with {operation, input}`);
    this.served.calls++;
    let lastSent = 0;
    const ctx: OperationContext = {
      signal,
      onProgress: (done, total, text) => {
        const now = performance.now();
        if (done < total && now - lastSent < 100) return;
        lastSent = now;
        sendLine(socket, { jsonrpc: "2.0", method: PROGRESS, params: { id, done, total, message: text } });
      },
    };
    const recorder = await this.recorder;
    const outcome = await invoke(() => op.run(bank, parseInput(op.input, params.data.input), ctx), {
      label: `cli:${params.data.verb ?? op.name}`,
      recorder,
      items: op.items,
    });
    if (outcome.ok) reply(outcome.output);
    else
      fail(
        outcome.error instanceof MemoryError
          ? outcome.error.message
          : `internal error: ${errorMessage(outcome.error)}`,
        outcome.code,
      );
  }

  /** A whole command line of a simple verb, run here by the CLI's own verb code (runArgv). */
  private async argv(argv: string[], bank: MemoryBank): Promise<ArgvResult> {
    if (!this.runArgv) return { fallback: "this server runs no command lines" };
    return this.runArgv(argv, { bank, recorder: await this.recorder, loaded: this.loaded });
  }

  /** Drops a connection whose client stopped reading its answers (what it sent is not read meanwhile). */
  private watchStall(socket: Socket): void {
    let since: number | undefined;
    const timer = setInterval(() => {
      if (!socket.writableNeedDrain) {
        since = undefined;
        return;
      }
      since ??= Date.now();
      if (Date.now() - since > STALLED_MS) {
        this.log(
          `dropping a client that has not read its answers for ${STALLED_MS / 1000} s (${socket.writableLength} bytes waiting)`,
        );
        socket.destroy();
      }
    }, 1000);
    timer.unref();
    socket.on("close", () => clearInterval(timer));
  }

  private status(): BankServerStatus {
    const clients = { mcp: 0, cli: 0 };
    for (const role of this.connections.values()) if (role !== "hello") clients[role]++;
    const memory = process.memoryUsage();
    return {
      pid: process.pid,
      version: VERSION,
      dataPath: this.loaded.dataPath,
      socket: this.socketPath,
      startedAt: new Date(this.startedAt).toISOString(),
      uptimeMs: Date.now() - this.startedAt,
      clients,
      served: { ...this.served },
      rssBytes: memory.rss,
      heapUsedBytes: memory.heapUsed,
      ...(this.entries !== undefined ? { entries: this.entries } : {}),
      idleTimeoutMs: this.loaded.memory.server.idleTimeoutMs,
      log: storeLayout(this.loaded.dataPath).serverLog,
    };
  }

  private armIdle(): void {
    if (this.finishing || this.connections.size > 0) return;
    this.disarmIdle();
    const ms = this.loaded.memory.server.idleTimeoutMs;
    this.idleTimer = setTimeout(() => this.finish(`no connection for ${ms} ms`), ms);
  }

  private disarmIdle(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
  }

  private socketIsOurs(): boolean {
    try {
      return lstatSync(this.socketPath).ino === this.inode;
    } catch {
      return false;
    }
  }

  /**
   * Stops taking connections and frees the socket's path at once (so a matching server can
   * start beside this one); exits when the last connection has ended, or now when `now`.
   */
  private finish(why: string, now = false): void {
    if (!this.finishing) {
      this.finishing = why;
      this.log(`finishing: ${why}`);
      this.disarmIdle();
      clearInterval(this.socketCheck);
      this.listener.close();
      // Only our own socket: after a removal another server may already be bound to the path.
      if (this.socketIsOurs()) {
        try {
          unlinkSync(this.socketPath);
        } catch {
          // already gone
        }
      }
    }
    if (now) for (const socket of this.connections.keys()) socket.destroy();
    this.exitWhenAlone();
  }

  private exiting = false;
  private exitWhenAlone(): void {
    if (this.connections.size > 0 || this.exiting) return;
    this.exiting = true;
    // Nothing else may be left to keep the process alive while the bank closes.
    const keepAlive = setInterval(() => {}, 1000);
    void (async () => {
      await (await this.recorder)?.close().catch(() => {});
      try {
        const bank = await this.bank;
        // Exiting is no reason to compact: the journal is folded once it passes its threshold.
        bank.maintenance?.keepAsIsAtClose();
        await bank.close();
      } catch {
        // the store never opened: nothing to close
      }
      this.log(`exited (${this.finishing})`);
      clearInterval(keepAlive);
      this.exited(this.exitCode);
    })();
  }
}
