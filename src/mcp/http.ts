/**
 * The MCP door over Streamable HTTP (`memory-bank serve --http [HOST:]PORT`): one process, one
 * bank, one McpServer per session (the same server stdio gets), at http://HOST:PORT/mcp.
 * Sessions are the SDK transport's; streams are resumable (Last-Event-ID) from an in-memory
 * event store.
 *
 * Who may talk to it:
 * - It binds to loopback (127.0.0.1) unless told otherwise. Binding anywhere else requires a
 *   bearer token, from the environment (MEMORY_BANK_HTTP_TOKEN) or from a file only its owner
 *   can read (--token-file): never from the command line, which every user of the machine can
 *   read in the process list. With a token, a request without it, or with another one, gets 401
 *   and nothing else.
 * - Against DNS rebinding (a web page whose domain resolves to 127.0.0.1), a loopback server
 *   answers only requests whose Host names loopback, and every server refuses an Origin that
 *   is neither loopback nor listed with --allow-origin: 403.
 */
import { createHash, randomUUID, timingSafeEqual } from "node:crypto";
import { lstatSync, readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { isInitializeRequest } from "@modelcontextprotocol/sdk/types.js";
import type { LoadedConfig } from "../config/config.js";
import { errorMessage, MemoryError } from "../domain/errors.js";
import { MemoryBank } from "../service/bank.js";
import { SessionRecorder } from "../telemetry/sessions.js";
import { MemoryEventStore } from "./event-store.js";
import { buildServer } from "./server.js";

export const TOKEN_ENV = "MEMORY_BANK_HTTP_TOKEN";
export const MCP_PATH = "/mcp";
/** A token shorter than this is refused: a bearer token is the only thing between the network and the memory. */
export const MIN_TOKEN_CHARS = 16;

export interface Listen {
  host: string;
  port: number;
}

/** `PORT`, `HOST:PORT` or `[IPv6]:PORT`; the host defaults to loopback. */
export function parseListen(spec: string): Listen {
  const m = /^(?:(\[[0-9a-fA-F:.]+\]|[^:[\]]+):)?(\d{1,5})$/.exec(spec.trim());
  const port = Number(m?.[2]);
  if (!m || port > 65535)
    throw new MemoryError(
      "INVALID_INPUT",
      `--http '${spec}' is not [HOST:]PORT: use e.g. 8765 (loopback) or 0.0.0.0:8765 (with a token)`,
    );
  const host = m[1] ? m[1].replace(/^\[|\]$/g, "") : "127.0.0.1";
  return { host, port };
}

export function isLoopback(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, "");
  return h === "localhost" || h === "::1" || /^127\.\d+\.\d+\.\d+$/.test(h);
}

/**
 * The bearer token: MEMORY_BANK_HTTP_TOKEN, else the file given (which must be a regular file of
 * ours that nobody else can read or write: 0600 or stricter). Undefined when neither is given.
 */
export function loadToken(env: NodeJS.ProcessEnv, tokenFile?: string): string | undefined {
  let token: string | undefined;
  let from: string;
  if (tokenFile !== undefined) {
    from = `--token-file ${tokenFile}`;
    let st: ReturnType<typeof lstatSync>;
    try {
      st = lstatSync(tokenFile);
    } catch (error) {
      throw new MemoryError("INVALID_INPUT", `${from}: cannot read it (${errorMessage(error)})`);
    }
    if (!st.isFile())
      throw new MemoryError("INVALID_INPUT", `${from} is not a regular file (a symlink is refused too)`);
    if ((st.mode & 0o077) !== 0)
      throw new MemoryError(
        "INVALID_INPUT",
        `${from} is readable or writable by others (mode ${(st.mode & 0o777).toString(8)}): chmod 600 it`,
      );
    if (typeof process.getuid === "function" && st.uid !== process.getuid())
      throw new MemoryError("INVALID_INPUT", `${from} belongs to another user: use a file of your own`);
    token = readFileSync(tokenFile, "utf8").trim();
  } else {
    from = TOKEN_ENV;
    token = env[TOKEN_ENV]?.trim();
    if (!token) return undefined;
  }
  if (token.length < MIN_TOKEN_CHARS || /\s/.test(token))
    throw new MemoryError(
      "INVALID_INPUT",
      `the token from ${from} must be at least ${MIN_TOKEN_CHARS} characters without spaces: generate one with 'openssl rand -hex 32'`,
    );
  return token;
}

export interface HttpOptions extends Listen {
  token?: string;
  /** Origins a browser-based client may call from, beyond loopback ones (e.g. https://app.example.com). */
  allowedOrigins?: string[];
}

export interface RunningHttp {
  bank: MemoryBank;
  /** The URL clients connect to (with the port actually bound). */
  url: string;
  sessions(): number;
  shutdown(why: string): Promise<void>;
  done: Promise<void>;
}

export async function serveHttp(
  loaded: LoadedConfig,
  options: HttpOptions,
  log: (m: string) => void,
): Promise<RunningHttp> {
  if (!isLoopback(options.host) && !options.token)
    throw new MemoryError(
      "INVALID_INPUT",
      `--http ${options.host}:${options.port} binds beyond this machine: set ${TOKEN_ENV} or pass --token-file (a 0600 file) with a bearer token of at least ${MIN_TOKEN_CHARS} characters`,
    );
  for (const w of loaded.warnings) log(`warning: ${w}`);
  const bank = await MemoryBank.open(loaded, { log });
  const recorder = await SessionRecorder.start(bank.layout.sessions, bank.retention, {
    now: () => bank.now(),
    kind: "server",
    log,
  });
  const maxBody = loaded.memory.transport.maxMessageBytes;
  const expected = options.token ? digest(options.token) : undefined;
  const allowed = new Set((options.allowedOrigins ?? []).map((o) => o.replace(/\/$/, "")));
  const loopbackOnly = isLoopback(options.host);
  const eventStore = new MemoryEventStore();
  const live = new Map<string, StreamableHTTPServerTransport>();

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    if (expected && !authorized(req, expected)) {
      res.writeHead(401, { "WWW-Authenticate": 'Bearer realm="memory-bank"' }).end();
      return;
    }
    const refused = refusedOrigin(req, loopbackOnly, allowed);
    if (refused) return reply(res, 403, refused);
    const url = new URL(req.url ?? "/", "http://localhost");
    if (url.pathname !== MCP_PATH) return reply(res, 404, `no such endpoint: MCP is served at ${MCP_PATH}`);
    const sessionId = header(req, "mcp-session-id");
    let body: unknown;
    if (req.method === "POST") {
      const read = await readBody(req, maxBody);
      if ("error" in read) return reply(res, read.status, read.error, read.code);
      body = read.body;
    }
    if (sessionId) {
      const transport = live.get(sessionId);
      if (!transport)
        return reply(
          res,
          404,
          `session ${sessionId.slice(0, 64)} is not open (expired or closed): initialize again`,
          -32001,
        );
      await transport.handleRequest(req, res, body);
      return;
    }
    if (req.method !== "POST" || !isInitializeRequest(body))
      return reply(
        res,
        400,
        "Bad Request: no mcp-session-id: the first request of a session is initialize (POST)",
      );
    const transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      eventStore,
      onsessioninitialized: (id) => {
        live.set(id, transport);
      },
    });
    const server = buildServer(bank, recorder);
    server.server.oninitialized = () => {
      const client = server.server.getClientVersion();
      if (client) recorder.setClient(client.name, client.version);
    };
    transport.onclose = () => {
      if (transport.sessionId) live.delete(transport.sessionId);
    };
    transport.onerror = (e) => log(`http transport: ${e.message}`);
    await server.connect(transport);
    await transport.handleRequest(req, res, body);
  };

  const http: Server = createServer((req, res) => {
    handle(req, res).catch((error) => {
      log(`http: ${errorMessage(error)}`);
      if (!res.headersSent) reply(res, 500, "internal error");
      else res.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    http.once("error", (error) =>
      reject(
        new MemoryError(
          "UNAVAILABLE",
          `cannot listen on ${options.host}:${options.port}: ${errorMessage(error)}`,
        ),
      ),
    );
    http.listen(options.port, options.host, () => resolve());
  });
  const address = http.address() as AddressInfo;
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
  const url = `http://${host}:${address.port}${MCP_PATH}`;

  let resolveDone: () => void = () => {};
  const done = new Promise<void>((r) => {
    resolveDone = r;
  });
  let stopping: Promise<void> | undefined;
  const shutdown = (why: string) => {
    stopping ??= (async () => {
      log(`shutting down (${why})`);
      for (const t of live.values()) await t.close().catch(() => {});
      live.clear();
      http.closeAllConnections();
      await new Promise<void>((r) => http.close(() => r()));
      await recorder.close();
      await bank.close();
      resolveDone();
    })();
    return stopping;
  };
  log(
    `serving ${bank.dataPath} (${bank.read().size} entries) at ${url}${expected ? " (bearer token required)" : ""}`,
  );
  return { bank, url, sessions: () => live.size, shutdown, done };
}

function digest(token: string): Buffer {
  return createHash("sha256").update(token).digest();
}

/** Compared as digests in constant time: the answer's timing tells nothing about the token. */
function authorized(req: IncomingMessage, expected: Buffer): boolean {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header(req, "authorization") ?? "");
  return !!m && timingSafeEqual(digest(m[1] as string), expected);
}

function refusedOrigin(
  req: IncomingMessage,
  loopbackOnly: boolean,
  allowed: Set<string>,
): string | undefined {
  if (loopbackOnly) {
    const host = header(req, "host") ?? "";
    const name = host.replace(/:\d+$/, "");
    if (!isLoopback(name))
      return `Host '${host.slice(0, 100)}' is not loopback: this server answers only http://127.0.0.1 or http://localhost (DNS rebinding protection)`;
  }
  const origin = header(req, "origin");
  if (origin === undefined) return undefined;
  try {
    const o = new URL(origin);
    if (
      allowed.has(o.origin) ||
      (isLoopback(o.hostname) && (o.protocol === "http:" || o.protocol === "https:"))
    )
      return undefined;
  } catch {
    // refused below
  }
  return `Origin '${origin.slice(0, 100)}' is not allowed: start the server with --allow-origin ${origin.slice(0, 100)} to accept it`;
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** A JSON-RPC error answer (what the SDK's transport answers with), for what never reaches it. */
function reply(res: ServerResponse, status: number, message: string, code = -32000): void {
  res
    .writeHead(status, { "Content-Type": "application/json" })
    .end(JSON.stringify({ jsonrpc: "2.0", error: { code, message }, id: null }));
}

async function readBody(
  req: IncomingMessage,
  max: number,
): Promise<{ body: unknown } | { error: string; status: number; code: number }> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > max)
      return {
        error: `message is larger than ${max} bytes (memory.transport.maxMessageBytes): split the batch`,
        status: 413,
        code: -32600,
      };
    chunks.push(chunk as Buffer);
  }
  try {
    return { body: JSON.parse(Buffer.concat(chunks).toString("utf8")) };
  } catch (error) {
    return { error: `Parse error: the body is not JSON (${errorMessage(error)})`, status: 400, code: -32700 };
  }
}
