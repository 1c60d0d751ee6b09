/**
 * The web page's door: a small HTTP server on loopback over one MemoryBank. Its routes map
 * requests onto the operation definitions (operations.ts) through the shared invoke path, the
 * same way the MCP tools and the CLI verbs do, so every call is recorded in this process's
 * session record and fails with the same codes and messages. It serves only files that ship in
 * the package (page.ts and the compiled web/ scripts): the page never reaches the network.
 */
import { randomBytes } from "node:crypto";
import { createReadStream, createWriteStream, readdirSync, readFileSync } from "node:fs";
import { mkdir, rm, stat } from "node:fs/promises";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import { fileURLToPath } from "node:url";
import type { LoadedConfig } from "../config/config.js";
import { errorMessage, MemoryError } from "../domain/errors.js";
import { parseInput } from "../domain/input.js";
import { MemoryBank } from "../service/bank.js";
import { invoke } from "../service/operations/invoke.js";
import { SessionRecorder } from "../telemetry/sessions.js";
import { Feed } from "./feed.js";
import { Guard } from "./guard.js";
import { PAGE_OPERATIONS, statusOf } from "./operations.js";
import { PAGE_CSS, PAGE_HTML } from "./page.js";

export interface UiOptions {
  /** 0 (default): any free port. */
  port?: number;
  log: (m: string) => void;
}

export interface RunningUi {
  url: string;
  port: number;
  bank: MemoryBank;
  close(): Promise<void>;
}

/** Uploads for import are written to a file in the project first (import reads files). */
const MAX_UPLOAD_BYTES = 512 * 1024 * 1024;
/** Where the page's exports and uploads go, relative to the project. */
const EXPORTS_DIR = path.join("memory", "exports");

const WEB_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), "web");

/** The compiled page scripts, read once: nothing else is served from disk. */
function loadScripts(): Map<string, string> {
  const scripts = new Map<string, string>();
  for (const name of readdirSync(WEB_DIR)) {
    if (name.endsWith(".js")) scripts.set(name, readFileSync(path.join(WEB_DIR, name), "utf8"));
  }
  return scripts;
}

const SECURITY_HEADERS = {
  "content-security-policy":
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "x-frame-options": "DENY",
  "cache-control": "no-store",
  "cross-origin-opener-policy": "same-origin",
  "cross-origin-resource-policy": "same-origin",
};

export async function startUi(loaded: LoadedConfig, options: UiOptions): Promise<RunningUi> {
  const { log } = options;
  const scripts = loadScripts();
  const bank = await MemoryBank.open(loaded, { log });
  const recorder = await SessionRecorder.start(bank.layout.sessions, bank.retention, {
    now: () => bank.now(),
    kind: "cli",
    command: "ui",
    log,
  });
  const feed = new Feed(bank, log);
  const guard = new Guard();
  /** Files this server exported: the only ones it will hand back for download. */
  const exported = new Set<string>();

  const send = (res: ServerResponse, status: number, type: string, body: string | Buffer) => {
    res.writeHead(status, { ...SECURITY_HEADERS, "content-type": type });
    res.end(body);
  };
  const sendJson = (res: ServerResponse, status: number, body: unknown) =>
    send(res, status, "application/json; charset=utf-8", JSON.stringify(body));
  const sendError = (res: ServerResponse, error: unknown, code: string) => {
    if (!(error instanceof MemoryError))
      log(`ui: ${error instanceof Error ? (error.stack ?? error) : error}`);
    sendJson(res, statusOf(code), {
      ok: false,
      code,
      error: error instanceof MemoryError ? error.message : `internal error: ${errorMessage(error)}`,
      ...(error instanceof MemoryError && error.details ? { details: error.details } : {}),
    });
  };

  async function readJson(req: IncomingMessage): Promise<unknown> {
    const limit = loaded.memory.transport.maxMessageBytes;
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      if (size > limit) {
        throw new MemoryError(
          "LIMIT_EXCEEDED",
          `the request is larger than ${limit} bytes (memory.transport.maxMessageBytes): send less at once`,
        );
      }
      chunks.push(chunk as Buffer);
    }
    const text = Buffer.concat(chunks).toString("utf8");
    if (text.trim() === "") return {};
    try {
      return JSON.parse(text);
    } catch (error) {
      throw new MemoryError("INVALID_INPUT", `the request body is not JSON: ${errorMessage(error)}`);
    }
  }

  async function callOperation(name: string, req: IncomingMessage, res: ServerResponse, background: boolean) {
    const op = PAGE_OPERATIONS.get(name);
    if (!op) return sendJson(res, 404, { ok: false, code: "NOT_FOUND", error: `no operation '${name}'` });
    const outcome = await invoke(
      async () => {
        const input = parseInput(op.input, await readJson(req));
        const output = await op.run(bank, input, {});
        if (op.name === "export") exported.add((output as { path: string }).path);
        return output;
      },
      // The page's own refreshes (processes, charts) are not calls anyone made: not recorded.
      { label: `ui:${op.name}`, recorder: background ? undefined : recorder, items: op.items },
    );
    if (!outcome.ok) return sendError(res, outcome.error, outcome.code);
    sendJson(res, 200, { ok: true, output: outcome.output });
  }

  async function upload(url: URL, req: IncomingMessage, res: ServerResponse) {
    const op = PAGE_OPERATIONS.get("import");
    if (!op) throw new Error("import is not a page operation");
    const original = url.searchParams.get("name") ?? "upload.json";
    const ext = /\.jsonl(\.gz)?$|\.json(\.gz)?$/.exec(original)?.[0] ?? ".json";
    const dir = path.join(bank.projectDir, EXPORTS_DIR);
    const file = path.join(dir, `upload-${Date.now()}-${randomBytes(4).toString("hex")}${ext}`);
    const outcome = await invoke(
      async () => {
        await mkdir(dir, { recursive: true, mode: 0o700 });
        let size = 0;
        await pipeline(
          req,
          async function* (source: AsyncIterable<Buffer>) {
            for await (const chunk of source) {
              size += chunk.length;
              if (size > MAX_UPLOAD_BYTES) {
                throw new MemoryError(
                  "LIMIT_EXCEEDED",
                  `the file is larger than ${MAX_UPLOAD_BYTES} bytes: import it with \`memory-bank import\``,
                );
              }
              yield chunk;
            }
          },
          createWriteStream(file, { mode: 0o600, flags: "wx" }),
        );
        const input = parseInput(op.input, {
          path: path.relative(bank.projectDir, file),
          ...(url.searchParams.get("namespace") ? { namespace: url.searchParams.get("namespace") } : {}),
          ...(url.searchParams.get("onConflict") ? { onConflict: url.searchParams.get("onConflict") } : {}),
          ...(url.searchParams.get("format") ? { format: url.searchParams.get("format") } : {}),
        });
        const output = await op.run(bank, input, {});
        // Say what the person uploaded, not where it was kept for the import.
        return { ...output, path: original };
      },
      { label: "ui:import", recorder, items: op.items },
    ).finally(() => rm(file, { force: true }));
    if (!outcome.ok) return sendError(res, outcome.error, outcome.code);
    sendJson(res, 200, { ok: true, output: outcome.output });
  }

  async function download(url: URL, res: ServerResponse) {
    const rel = url.searchParams.get("path") ?? "";
    if (!exported.has(rel)) {
      return sendJson(res, 404, {
        ok: false,
        code: "NOT_FOUND",
        error: `'${rel.slice(0, 200)}' is not a file this page exported`,
      });
    }
    const file = path.join(bank.projectDir, rel);
    const info = await stat(file);
    res.writeHead(200, {
      ...SECURITY_HEADERS,
      "content-type": "application/octet-stream",
      "content-length": String(info.size),
      "content-disposition": `attachment; filename="${path.basename(file).replace(/[^\w.-]/g, "_")}"`,
    });
    await pipeline(createReadStream(file), res);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const verdict = guard.check(req, url);
    if (!verdict.ok) return send(res, verdict.status, "text/plain; charset=utf-8", `${verdict.reason}\n`);
    if ("exchange" in verdict) {
      res.writeHead(303, {
        ...SECURITY_HEADERS,
        location: "/",
        "set-cookie": guard.cookie(verdict.exchange),
      });
      res.end();
      return;
    }
    const method = req.method ?? "GET";
    const route = `${method} ${url.pathname}`;
    if (route === "GET /") return send(res, 200, "text/html; charset=utf-8", PAGE_HTML);
    if (route === "GET /app/style.css") return send(res, 200, "text/css; charset=utf-8", PAGE_CSS);
    if (method === "GET" && url.pathname.startsWith("/app/")) {
      const script = scripts.get(url.pathname.slice(5));
      if (script !== undefined) return send(res, 200, "text/javascript; charset=utf-8", script);
    }
    if (route === "GET /favicon.ico") return send(res, 204, "image/x-icon", "");
    if (route === "GET /api/events") return feed.subscribe(res);
    if (method === "POST" && url.pathname.startsWith("/api/op/")) {
      return callOperation(url.pathname.slice(8), req, res, url.searchParams.get("background") === "1");
    }
    if (route === "POST /api/import") return upload(url, req, res);
    if (route === "GET /api/download") return download(url, res);
    send(res, 404, "text/plain; charset=utf-8", "not found\n");
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error) => {
      log(`ui: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      if (!res.headersSent) sendError(res, error, "INTERNAL");
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, "127.0.0.1", () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  guard.listening(port);
  let closing: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${port}/?token=${guard.token}`,
    port,
    bank,
    close: () => {
      closing ??= (async () => {
        feed.close();
        server.closeAllConnections();
        await new Promise<void>((r) => server.close(() => r()));
        await recorder.close();
        await bank.close();
      })();
      return closing;
    },
  };
}
