/**
 * The web page's server in this process: who it lets in (the one-time token, the cookie, the
 * Host and Origin checks, no CORS), and its routes onto the operations (answers, error codes,
 * import and export, the change feed).
 */
import { request } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/config.js";
import { type RunningUi, startUi } from "../../src/ui/server.js";
import { tempProjects } from "../helpers.js";

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function send(
  ui: RunningUi,
  method: string,
  pathname: string,
  options: {
    headers?: Record<string, string>;
    body?: string;
    cookie?: string;
    until?: (body: string) => boolean;
  } = {},
): Promise<Reply> {
  const headers: Record<string, string> = {
    host: `127.0.0.1:${ui.port}`,
    ...(method !== "GET" ? { origin: `http://127.0.0.1:${ui.port}` } : {}),
    ...(options.cookie ? { cookie: options.cookie } : {}),
    ...options.headers,
  };
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port: ui.port, method, path: pathname, headers }, (res) => {
      let body = "";
      res.on("data", (d: Buffer) => {
        body += d.toString();
        if (options.until?.(body)) {
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body });
          res.destroy();
        }
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on("error", reject);
    req.end(options.body);
  });
}

const project = tempProjects();
let running: RunningUi[] = [];
afterEach(async () => {
  for (const ui of running) await ui.close();
  running = [];
});

async function start(config?: unknown): Promise<RunningUi> {
  const ui = await startUi(loadConfig({ cwd: project(config), env: {} }), { log: () => {} });
  running.push(ui);
  return ui;
}

/** Signs in with the URL's token; returns the cookie header to send. */
async function signIn(ui: RunningUi): Promise<string> {
  const r = await send(ui, "GET", new URL(ui.url).pathname + new URL(ui.url).search);
  expect(r.status).toBe(303);
  const cookie = String(r.headers["set-cookie"]);
  return cookie.split(";")[0] as string;
}

const op = (ui: RunningUi, cookie: string, name: string, input: unknown) =>
  send(ui, "POST", `/api/op/${name}`, {
    cookie,
    body: JSON.stringify(input),
    headers: { "content-type": "application/json" },
  });

describe("who the page's server lets in", () => {
  it("serves on loopback with a random token in its URL", async () => {
    const ui = await start();
    expect(ui.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]{32}$/);
    const other = await start();
    expect(new URL(other.url).searchParams.get("token")).not.toBe(new URL(ui.url).searchParams.get("token"));
  });

  it("refuses the page and every route without the token or the cookie (401)", async () => {
    const ui = await start();
    for (const [method, p] of [
      ["GET", "/"],
      ["GET", "/api/events"],
      ["POST", "/api/op/memory_query"],
      ["GET", "/app/app.js"],
    ] as const) {
      const r = await send(ui, method, p);
      expect(r.status, `${method} ${p}`).toBe(401);
      expect(r.body).toMatch(/memory-bank ui/);
    }
  });

  it("exchanges the token once for an HttpOnly, SameSite=Strict cookie; the link then stops working", async () => {
    const ui = await start();
    const link = new URL(ui.url);
    const first = await send(ui, "GET", link.pathname + link.search);
    expect(first.status).toBe(303);
    expect(first.headers.location).toBe("/");
    const setCookie = String(first.headers["set-cookie"]);
    expect(setCookie).toMatch(/HttpOnly/);
    expect(setCookie).toMatch(/SameSite=Strict/);
    const cookie = setCookie.split(";")[0] as string;
    const page = await send(ui, "GET", "/", { cookie });
    expect(page.status).toBe(200);
    expect(page.body).toContain("<title>Memory Bank</title>");
    const again = await send(ui, "GET", link.pathname + link.search);
    expect(again.status).toBe(403);
    expect(again.body).toMatch(/used already/);
  });

  it("refuses a wrong token and a forged cookie", async () => {
    const ui = await start();
    expect((await send(ui, "GET", "/?token=wrong")).status).toBe(403);
    await signIn(ui);
    const forged = await send(ui, "GET", "/", { cookie: `memory-bank-ui-${ui.port}=forged` });
    expect(forged.status).toBe(401);
  });

  it("refuses another Host (DNS rebinding) and another Origin, even with the cookie", async () => {
    const ui = await start();
    const cookie = await signIn(ui);
    const rebound = await send(ui, "GET", "/", { cookie, headers: { host: `evil.example:${ui.port}` } });
    expect(rebound.status).toBe(403);
    expect(rebound.body).toMatch(/Host/);
    const foreign = await op(ui, cookie, "memory_query", {});
    expect(foreign.status).toBe(200);
    const cross = await send(ui, "POST", "/api/op/memory_store", {
      cookie,
      headers: { origin: "http://evil.example" },
      body: JSON.stringify({ key: "k", value: 1 }),
    });
    expect(cross.status).toBe(403);
    const noOrigin = await send(ui, "POST", "/api/op/memory_store", {
      cookie,
      headers: { origin: "" },
      body: JSON.stringify({ key: "k", value: 1 }),
    });
    expect(noOrigin.status).toBe(403);
    const got = await op(ui, cookie, "memory_get", { key: "k" });
    expect(JSON.parse(got.body).output.found).toBe(false);
  });

  it("sends no CORS headers, and a policy that lets the page load nothing from elsewhere", async () => {
    const ui = await start();
    const cookie = await signIn(ui);
    for (const r of [
      await send(ui, "GET", "/", { cookie, headers: { origin: "http://evil.example" } }),
      await send(ui, "GET", "/", { cookie }),
      await op(ui, cookie, "memory_stats", {}),
      await send(ui, "OPTIONS", "/api/op/memory_store", { cookie }),
    ]) {
      expect(Object.keys(r.headers).filter((h) => h.startsWith("access-control-"))).toEqual([]);
    }
    const page = await send(ui, "GET", "/", { cookie });
    expect(page.headers["content-security-policy"]).toMatch(/default-src 'none'; script-src 'self'/);
    expect(page.body).not.toMatch(/https?:\/\//);
  });
});

describe("the page's routes onto the operations", () => {
  it("stores, reads and searches through the same operations as the other doors", async () => {
    const ui = await start();
    const cookie = await signIn(ui);
    const stored = await op(ui, cookie, "memory_store", {
      key: "auth/cli",
      value: { how: "we authenticate the CLI with device tokens" },
      namespace: "decisions",
      tags: ["auth"],
    });
    expect(stored.status).toBe(200);
    expect(JSON.parse(stored.body).output.entry.version).toBe(1);
    const found = JSON.parse((await op(ui, cookie, "memory_query", { query: "authentcate devise" })).body);
    expect(found.output.results.map((r: { key: string }) => r.key)).toEqual(["auth/cli"]);
  });

  it("answers a bad input 400 naming the field, a conflict 409 with the current version, and an unknown operation 404", async () => {
    const ui = await start();
    const cookie = await signIn(ui);
    const bad = await op(ui, cookie, "memory_query", { limit: 5000 });
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.body)).toMatchObject({ ok: false, code: "INVALID_INPUT" });
    expect(JSON.parse(bad.body).error).toMatch(/limit must be at most 1000/);
    const notJson = await send(ui, "POST", "/api/op/memory_query", { cookie, body: "{nope" });
    expect(notJson.status).toBe(400);
    expect(JSON.parse(notJson.body).error).toMatch(/not JSON/);
    await op(ui, cookie, "memory_store", { key: "k", value: 1 });
    await op(ui, cookie, "memory_store", { key: "k", value: 2, ifVersion: 1 });
    const conflict = await op(ui, cookie, "memory_store", { key: "k", value: 3, ifVersion: 1 });
    expect(conflict.status).toBe(409);
    expect(JSON.parse(conflict.body)).toMatchObject({ code: "VERSION_CONFLICT", details: { current: 2 } });
    const kept = JSON.parse((await op(ui, cookie, "memory_get", { key: "k" })).body);
    expect(kept.output.entry.value).toBe(2);
    const unknown = await op(ui, cookie, "memory_cleanup", {});
    expect(unknown.status).toBe(404);
  });

  it("refuses a request larger than memory.transport.maxMessageBytes (413) and stores nothing", async () => {
    const ui = await start({ memory: { transport: { maxMessageBytes: 1024 * 1024 } } });
    const cookie = await signIn(ui);
    const big = await op(ui, cookie, "memory_store", { key: "big", value: "x".repeat(1024 * 1024 + 10) });
    expect(big.status).toBe(413);
    expect(JSON.parse(big.body)).toMatchObject({ code: "LIMIT_EXCEEDED" });
    expect(JSON.parse(big.body).error).toMatch(/maxMessageBytes/);
    const got = JSON.parse((await op(ui, cookie, "memory_get", { key: "big" })).body);
    expect(got.output.found).toBe(false);
  });

  it("exports to a file it then hands back, and imports an uploaded file", async () => {
    const ui = await start();
    const cookie = await signIn(ui);
    await op(ui, cookie, "memory_store", { key: "a", value: "one", namespace: "n" });
    const exported = JSON.parse((await op(ui, cookie, "export", { format: "jsonl" })).body).output;
    expect(exported.entries).toBe(1);
    const file = await send(ui, "GET", `/api/download?path=${encodeURIComponent(exported.path)}`, { cookie });
    expect(file.status).toBe(200);
    expect(file.headers["content-disposition"]).toMatch(/attachment/);
    expect(JSON.parse(file.body.trim())).toMatchObject({ key: "a", value: "one" });
    const elsewhere = await send(ui, "GET", "/api/download?path=claude-flow.config.json", { cookie });
    expect(elsewhere.status).toBe(404);

    const uploaded = await send(ui, "POST", "/api/import?name=more.jsonl&namespace=imported", {
      cookie,
      body: `${JSON.stringify({ key: "b", value: "two" })}\n${JSON.stringify({ key: "c", value: "three" })}\n`,
    });
    expect(uploaded.status).toBe(200);
    expect(JSON.parse(uploaded.body).output).toMatchObject({ path: "more.jsonl", read: 2, stored: 2 });
    const got = JSON.parse((await op(ui, cookie, "memory_get", { key: "c", namespace: "imported" })).body);
    expect(got.output.entry.value).toBe("three");
    const broken = await send(ui, "POST", "/api/import?name=broken.json", { cookie, body: "[{]" });
    expect(broken.status).toBe(400);
  });

  it("streams the changes applied to the store as server-sent events", async () => {
    const ui = await start();
    const cookie = await signIn(ui);
    const events = send(ui, "GET", "/api/events", { cookie, until: (b) => b.includes("event: changes") });
    await new Promise((r) => setTimeout(r, 100));
    await op(ui, cookie, "memory_store", { key: "live/1", value: 1, namespace: "feed" });
    const r = await events;
    expect(r.headers["content-type"]).toMatch(/text\/event-stream/);
    const data = /event: changes\ndata: (.*)\n/.exec(r.body)?.[1] as string;
    expect(JSON.parse(data).changes).toEqual([{ kind: "put", namespace: "feed", key: "live/1", version: 1 }]);
  });
});
