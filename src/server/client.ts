/**
 * The client side of a bank server: connect to the store's socket and say hello; for `serve`,
 * start the server when none answers (detached, so it outlives the session that started it) and
 * wait until one accepts. Of many sessions starting at once, the one that creates the
 * `.server.starting` file starts a server and the others wait for it; should two start one anyway
 * (a claim gone stale), exactly one binds (bank-server.ts), the others exit, and every session
 * connects to the one that won. A server of
 * another version or other settings answers that it is finishing; a matching one is started.
 * It loads no schema library (the lean CLI and the `serve` relay use it): answers are checked by hand.
 */
import { spawn } from "node:child_process";
import { closeSync, openSync, readFileSync, rmSync, statSync, writeSync } from "node:fs";
import { createConnection, type Socket } from "node:net";
import { fileURLToPath } from "node:url";
import type { LoadedConfig } from "../config/config.js";
import { VERSION } from "../config/version.js";
import { ERROR_CODES, type ErrorCode, errorMessage, MemoryError } from "../domain/errors.js";
import { ensurePrivateDir } from "../store/files.js";
import { storeLayout } from "../store/layout.js";
import { isProcessAlive } from "../store/process-alive.js";
import { endpointOf, targetOf } from "./endpoint.js";
import type { Target } from "./locate.js";
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
import type { ArgvResult, BankServerStatus, HelloResult } from "./wire-schema.js";

/** The binary a bank server runs as: this package's own CLI. */
const CLI = fileURLToPath(new URL("../cli.js", import.meta.url));

/** The server's log is started afresh past this size when a server is started. */
const MAX_LOG_BYTES = 1024 * 1024;

export type Attached =
  | { ok: true; socket: Socket; server: HelloResult; started: boolean; socketPath: string }
  | { ok: false; reason: string };

export interface AttachOptions {
  role: "mcp" | "cli";
  /** Start a bank server when none answers (serve), or only use a running one (CLI verbs). */
  start: boolean;
  /** How long to wait for a started server to accept (it listens before it loads the store). */
  timeoutMs?: number;
  /** How long the server may take to answer hello (it answers once the store is loaded). */
  helloTimeoutMs?: number;
}

export async function attach(of: LoadedConfig | Target, options: AttachOptions): Promise<Attached> {
  const target = "memory" in of ? targetOf(of) : of;
  let socketPath: string;
  try {
    socketPath = endpointOf(target.dataPath).socket;
  } catch (error) {
    return { ok: false, reason: errorMessage(error) };
  }
  const starting = storeLayout(target.dataPath).serverStarting;
  let claimed = false;
  // The store's directory, once: in a new project every session needs it for the claim.
  if (options.start) await ensurePrivateDir(target.dataPath);
  try {
    return await attachLoop();
  } finally {
    if (claimed) rmSync(starting, { force: true });
  }

  async function attachLoop(): Promise<Attached> {
    const deadline = Date.now() + (options.timeoutMs ?? 15_000);
    let started: { exited?: number | null } | undefined;
    let lastReason = "no bank server is running";
    for (;;) {
      const socket = await dial(socketPath);
      if (socket) {
        const hello = await sayHello(socket, target, options);
        if (hello.ok) return { ok: true, socket, server: hello.result, started: !!started, socketPath };
        socket.destroy();
        lastReason = hello.reason;
        // A server that could not open the store: serving in-process meets the same problem and says it.
        if (!hello.reason.startsWith("finishing")) return { ok: false, reason: hello.reason };
      }
      if (!options.start) return { ok: false, reason: lastReason };
      if (!started) {
        // Another session is starting one right now: wait for it rather than start a second.
        if (claimStart(starting)) {
          claimed = true;
          try {
            started = await startServer(target);
          } catch (error) {
            return { ok: false, reason: `could not start a bank server: ${errorMessage(error)}` };
          }
        }
      } else if (started.exited !== undefined && !(await answersNow(socketPath))) {
        // The one we started is gone and nobody took its place: it could not start (its log says why).
        return {
          ok: false,
          reason: `the bank server started for it exited (code ${started.exited}; see ${storeLayout(target.dataPath).serverLog})`,
        };
      }
      if (Date.now() > deadline)
        return {
          ok: false,
          reason: `no bank server accepted within ${options.timeoutMs ?? 15_000} ms (${lastReason})`,
        };
      await new Promise((r) => setTimeout(r, 25));
    }
  }
}

/** A claim to start a bank server older than this is not waited for (its maker stalled or died). */
const STARTING_FRESH_MS = 10_000;

/**
 * Claims starting the store's bank server: true when this process should start one, false while
 * another live process holds a claim made in the last STARTING_FRESH_MS (this one then waits for
 * that server). A claim that cannot be made or read never blocks a start: the server's own claim
 * (bank-server.ts) still lets exactly one serve.
 */
function claimStart(file: string): boolean {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, "wx", 0o600);
      try {
        writeSync(fd, String(process.pid));
      } finally {
        closeSync(fd);
      }
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") return true;
    }
    let pid: number;
    let age: number;
    try {
      pid = Number(readFileSync(file, "utf8"));
      age = Date.now() - statSync(file).mtimeMs;
    } catch {
      continue; // removed meanwhile: claim again
    }
    // A claim just made may not hold its pid yet.
    const live = Number.isSafeInteger(pid) && pid > 0 ? isProcessAlive(pid) : age < 1000;
    if (live && age < STARTING_FRESH_MS) return false;
    rmSync(file, { force: true });
  }
  return true;
}

/** A connection to the socket, or undefined when nothing listens there. */
function dial(socketPath: string): Promise<Socket | undefined> {
  return new Promise((resolve) => {
    const socket = createConnection(socketPath);
    socket.once("connect", () => {
      socket.off("error", onError);
      resolve(socket);
    });
    const onError = () => resolve(undefined);
    socket.once("error", onError);
  });
}

/** True when something accepts a connection on the socket right now. */
async function answersNow(socketPath: string): Promise<boolean> {
  const socket = await dial(socketPath);
  socket?.destroy();
  return socket !== undefined;
}

function sayHello(
  socket: Socket,
  target: Target,
  options: AttachOptions,
): Promise<{ ok: true; result: HelloResult } | { ok: false; reason: string }> {
  return new Promise((resolve) => {
    let settled = false;
    const settle = (r: { ok: true; result: HelloResult } | { ok: false; reason: string }) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.off("data", onData);
      socket.off("close", onClose);
      socket.off("error", onClose);
      resolve(r);
    };
    const timer = setTimeout(
      () => settle({ ok: false, reason: "the bank server did not answer in time" }),
      options.helloTimeoutMs ?? 10 * 60_000,
    );
    const reader = new LineReader(
      MAX_CONTROL_LINE,
      (line) => {
        try {
          const m = JSON.parse(line) as { result?: unknown; error?: { message?: string } };
          if (m.error) return settle({ ok: false, reason: `the bank server refused: ${m.error.message}` });
          const result = helloResult(m.result);
          settle(result.accepted ? { ok: true, result } : { ok: false, reason: result.reason ?? "refused" });
        } catch (error) {
          settle({ ok: false, reason: `unreadable answer from the bank server: ${errorMessage(error)}` });
        }
      },
      () => settle({ ok: false, reason: "unreadable answer from the bank server" }),
    );
    const onData = (chunk: Buffer) => {
      const rest = reader.feed(chunk, true);
      if (rest !== undefined) {
        socket.pause();
        if (rest.length > 0) socket.unshift(rest);
      }
    };
    const onClose = () => settle({ ok: false, reason: "finishing: the bank server closed the connection" });
    socket.on("data", onData);
    socket.once("close", onClose);
    socket.once("error", onClose);
    sendLine(socket, {
      jsonrpc: "2.0",
      id: 0,
      method: HELLO,
      params: {
        version: VERSION,
        fingerprint: target.fingerprint,
        role: options.role,
        pid: process.pid,
        ...(target.raw ? { raw: true } : {}),
      },
    });
  });
}

/** The hello's answer, checked (wire-schema.ts's HelloResultSchema, by hand: no schema library here). */
function helloResult(r: unknown): HelloResult {
  const v = (r ?? {}) as Record<string, unknown>;
  if (typeof v.accepted !== "boolean" || typeof v.version !== "string" || !Number.isInteger(v.pid))
    throw new Error("the hello answer lacks accepted, version or pid");
  const warnings = Array.isArray(v.warnings) ? v.warnings.filter((w) => typeof w === "string") : undefined;
  return {
    accepted: v.accepted,
    version: v.version,
    pid: v.pid as number,
    ...(typeof v.reason === "string" ? { reason: v.reason } : {}),
    ...(warnings ? { warnings } : {}),
  };
}

/** Starts a bank server for the store, detached, its stderr going to the server's log. */
async function startServer(target: Target): Promise<{ exited?: number | null }> {
  const state: { exited?: number | null } = {};
  const log = storeLayout(target.dataPath).serverLog;
  let fresh = false;
  try {
    fresh = statSync(log).size > MAX_LOG_BYTES;
  } catch {
    // no log yet
  }
  const fd = openSync(log, fresh ? "w" : "a", 0o600);
  try {
    const env = { ...process.env };
    delete env.MEMORY_BANK_CONFIG;
    const child = spawn(
      process.execPath,
      [CLI, "bank-server", ...(target.file ? ["--config", target.file] : [])],
      { cwd: target.projectDir, detached: true, stdio: ["ignore", "ignore", fd], env },
    );
    child.on("error", () => {
      state.exited = null;
    });
    child.on("exit", (code) => {
      state.exited = code;
    });
    child.unref();
  } finally {
    closeSync(fd);
  }
  return state;
}

/**
 * CLI calls over an attached connection (role "cli"): `memory-bank/run` and `memory-bank/status`.
 * An error the server answers becomes the MemoryError it was there, so the CLI prints and exits
 * exactly as it does in-process.
 */
export class BankCalls {
  private nextId = 1;
  private readonly waiting = new Map<
    number,
    { resolve: (v: unknown) => void; reject: (e: unknown) => void; progress?: Progress }
  >();
  private closedWhy: string | undefined;

  constructor(private readonly socket: Socket) {
    const reader = new LineReader(
      Number.MAX_SAFE_INTEGER,
      (line) => this.onLine(line),
      () => {},
    );
    socket.on("data", (chunk: Buffer) => reader.feed(chunk));
    socket.on("error", () => {});
    socket.on("close", () => {
      this.closedWhy = "the bank server closed the connection before answering (see its log)";
      for (const w of this.waiting.values()) w.reject(new MemoryError("UNAVAILABLE", this.closedWhy));
      this.waiting.clear();
    });
    socket.resume();
  }

  run(operation: string, input: unknown, verb: string, progress?: Progress): Promise<unknown> {
    return this.request(RUN, { operation, input, verb }, progress);
  }

  /** A whole command line, run by the server (cli/served.ts). */
  argv(argv: string[]): Promise<ArgvResult> {
    return this.request(ARGV, { argv }) as Promise<ArgvResult>;
  }

  status(): Promise<BankServerStatus> {
    return this.request(STATUS, {}) as Promise<BankServerStatus>;
  }

  finish(): Promise<unknown> {
    return this.request(FINISH, {});
  }

  close(): void {
    this.socket.end();
  }

  private request(method: string, params: unknown, progress?: Progress): Promise<unknown> {
    if (this.closedWhy) return Promise.reject(new MemoryError("UNAVAILABLE", this.closedWhy));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject, ...(progress ? { progress } : {}) });
      sendLine(this.socket, { jsonrpc: "2.0", id, method, params });
    });
  }

  private onLine(line: string): void {
    let m: {
      id?: number;
      method?: string;
      params?: { id?: number; done?: number; total?: number; message?: string };
      result?: unknown;
      error?: { message?: string; data?: { code?: string } };
    };
    try {
      m = JSON.parse(line);
    } catch {
      return;
    }
    if (m.method === PROGRESS) {
      const p = m.params;
      if (p?.id !== undefined) this.waiting.get(p.id)?.progress?.(p.done ?? 0, p.total ?? 0, p.message);
      return;
    }
    const w = m.id !== undefined ? this.waiting.get(m.id) : undefined;
    if (!w || m.id === undefined) return;
    this.waiting.delete(m.id);
    if (!m.error) {
      w.resolve(m.result);
      return;
    }
    const code = m.error.data?.code;
    const message = m.error.message ?? "the bank server reported an error";
    w.reject(
      code && (ERROR_CODES as readonly string[]).includes(code)
        ? new MemoryError(code as ErrorCode, message)
        : new Error(message),
    );
  }
}

type Progress = (done: number, total: number, message?: string) => void;
