/**
 * `memory-bank serve --http`: MCP over Streamable HTTP with the SDK's client, as a remote agent
 * uses it. Tools, resources, subscriptions that fire when another process (the CLI) writes, and
 * who may connect: loopback by default, a bearer token required to bind elsewhere (from the
 * environment or a 0600 file, never the command line), 401 and nothing else without it, and
 * Host and Origin checked against DNS rebinding.
 */
import { chmodSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import path from "node:path";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { ResourceUpdatedNotificationSchema } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cli } from "../cli/run.js";
import {
  connectHttp,
  type HttpServer,
  ok,
  removeProject,
  startHttpServer,
  tempProject,
  tempProjects,
} from "../helpers.js";

const project = tempProjects();
const TOKEN = "s3cret-token-for-tests-0123456789";

async function until(check: () => boolean, ms = 30_000): Promise<void> {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > ms) throw new Error(`not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const initialize = JSON.stringify({
  jsonrpc: "2.0",
  id: 1,
  method: "initialize",
  params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "raw", version: "1" } },
});

function post(url: string, headers: Record<string, string> = {}, body = initialize) {
  return fetch(url, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      accept: "application/json, text/event-stream",
      ...headers,
    },
    body,
  });
}

describe("serve --http on loopback", () => {
  let dir: string;
  let server: HttpServer;
  let a: Client;
  let b: Client;

  beforeAll(async () => {
    dir = tempProject();
    server = await startHttpServer(dir);
    a = await connectHttp(server.url);
    b = await connectHttp(server.url);
  });

  afterAll(async () => {
    await a?.close();
    await b?.close();
    expect(await server?.stop()).toBe(0);
    removeProject(dir);
  });

  it("binds 127.0.0.1 by default and serves every tool to several sessions on one bank", async () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/mcp$/);
    const { tools } = await a.listTools();
    expect(tools.map((t) => t.name)).toContain("memory_query");
    await ok(a, "memory_store", { key: "over-http", value: "stored by session a" });
    const got = await ok<{ entry: { value: string } }>(b, "memory_get", { key: "over-http" });
    expect(got.entry.value).toBe("stored by session a");
  });

  it("offers resources and prompts, and answers within the token budget", async () => {
    const read = await b.readResource({ uri: "memory://default/over-http" });
    expect(read.contents[0]).toMatchObject({ mimeType: "text/plain", text: "stored by session a" });
    const list = await b.listResources();
    expect(list.resources.map((r) => r.uri)).toContain("memory://default/over-http");
    const { prompts } = await b.listPrompts();
    expect(prompts.map((p) => p.name)).toContain("recall");
    const recall = await b.getPrompt({ name: "recall", arguments: { topic: "session" } });
    expect(JSON.stringify(recall.messages)).toMatch(/memory:\/\/default\/over-http/);
    const q = await ok<{ tokens: number }>(a, "memory_query", { query: "session" });
    expect(q.tokens).toBeLessThanOrEqual(8000);
  });

  it("notifies a subscriber over HTTP when the CLI, another process, writes", async () => {
    const heard: string[] = [];
    a.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => {
      heard.push(n.params.uri);
    });
    await a.subscribeResource({ uri: "memory://default/over-http" });
    const r = await cli(dir, ["store", "over-http", "changed by the CLI"]);
    expect(r.code, r.stderr).toBe(0);
    await until(() => heard.includes("memory://default/over-http"));
  });

  it("refuses a Host or Origin that is not loopback (DNS rebinding), and answers nothing else", async () => {
    const port = new URL(server.url).port;
    // What a browser sends after evil.example was made to resolve to 127.0.0.1 (fetch cannot set Host).
    const rebound = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(
        server.url,
        { method: "POST", headers: { host: `evil.example:${port}`, "content-type": "application/json" } },
        (res) => {
          let body = "";
          res.on("data", (d: Buffer) => {
            body += d.toString();
          });
          res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
        },
      );
      req.on("error", reject);
      req.end(initialize);
    });
    expect(rebound.status).toBe(403);
    expect(rebound.body).toMatch(/not loopback.*DNS rebinding/);
    const origin = await post(server.url, { origin: "https://evil.example" });
    expect(origin.status).toBe(403);
    expect(await origin.text()).toMatch(/--allow-origin https:\/\/evil\.example/);
    expect((await post(server.url, { origin: `http://localhost:${port}` })).status).toBe(200);
  });

  it("answers a request of an unknown session with 404, and one without a session with 400", async () => {
    const unknown = await post(
      server.url,
      { "mcp-session-id": "no-such-session" },
      JSON.stringify({ jsonrpc: "2.0", id: 2, method: "tools/list" }),
    );
    expect(unknown.status).toBe(404);
    const none = await post(server.url, {}, JSON.stringify({ jsonrpc: "2.0", id: 2, method: "tools/list" }));
    expect(none.status).toBe(400);
    expect(await none.text()).toMatch(/first request of a session is initialize/);
  });
});

describe("serve --http with a bearer token", () => {
  it("answers a missing or wrong token with 401 and nothing else, and serves the right one", async () => {
    const dir = project();
    const server = await startHttpServer(dir, "127.0.0.1:0", { MEMORY_BANK_HTTP_TOKEN: TOKEN });
    try {
      for (const headers of [
        {},
        { authorization: "Bearer wrong-token-0123456789abc" },
        { authorization: TOKEN },
      ]) {
        const r = await post(server.url, headers);
        expect(r.status).toBe(401);
        expect(r.headers.get("www-authenticate")).toMatch(/^Bearer/);
        expect(await r.text()).toBe("");
      }
      await expect(connectHttp(server.url)).rejects.toThrow(/Error POSTing to endpoint/);
      const client = await connectHttp(server.url, { authorization: `Bearer ${TOKEN}` });
      await ok(client, "memory_store", { key: "k", value: 1 });
      await client.close();
    } finally {
      expect(await server.stop()).toBe(0);
    }
  });

  it("refuses to bind beyond loopback without a token, naming where to put one", async () => {
    const dir = project();
    await expect(startHttpServer(dir, "0.0.0.0:0")).rejects.toThrow(
      /binds beyond this machine: set MEMORY_BANK_HTTP_TOKEN or pass --token-file/,
    );
  });

  it("binds beyond loopback with a token from a 0600 file, and refuses a file others can read", async () => {
    const dir = project();
    const file = path.join(dir, "token");
    writeFileSync(file, `${TOKEN}\n`);
    chmodSync(file, 0o644);
    await expect(startHttpServer(dir, "0.0.0.0:0", {}, ["--token-file", file])).rejects.toThrow(
      /readable or writable by others \(mode 644\): chmod 600 it/,
    );
    chmodSync(file, 0o600);
    const server = await startHttpServer(dir, "0.0.0.0:0", {}, ["--token-file", file]);
    try {
      const url = server.url.replace("0.0.0.0", "127.0.0.1");
      expect((await post(url)).status).toBe(401);
      const client = await connectHttp(url, { authorization: `Bearer ${TOKEN}` });
      expect((await client.listTools()).tools.length).toBeGreaterThan(5);
      await client.close();
    } finally {
      expect(await server.stop()).toBe(0);
    }
  });

  it("has no way to take the token on the command line", async () => {
    const r = await cli(project(), ["serve", "--http", "0", "--token", TOKEN]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/unknown option '--token'/);
  });
});
