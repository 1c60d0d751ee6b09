/**
 * The stdio transport under pressure: a message larger than memory.transport.maxMessageBytes gets a
 * JSON-RPC error for its own id (the SDK's clients put the id last, after the params), and a
 * client that stops reading does not make the server buffer answers without limit.
 */
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { McpError } from "@modelcontextprotocol/sdk/types.js";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { TopLevelId } from "../../src/mcp/line-transport.js";
import {
  BASE_ENV,
  CLI,
  call,
  connect,
  initializeRequest,
  RawServer,
  removeProject,
  tempProject,
  textOf,
} from "../helpers.js";
import { SEED, sleep } from "./harness.js";

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) removeProject(d);
});

describe("TopLevelId", () => {
  it("finds the top-level id wherever it is, never one nested in params, in any split of the bytes", () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.integer(), fc.string({ maxLength: 20 })),
        fc.dictionary(fc.constantFrom("id", "x", "arguments", "__proto__"), fc.jsonValue({ maxDepth: 3 })),
        fc.boolean(),
        fc.array(fc.nat(), { maxLength: 5 }),
        (id, params, idLast, cuts) => {
          const msg = idLast
            ? { jsonrpc: "2.0", method: "tools/call", params: { id: "decoy", ...params }, id }
            : { id, jsonrpc: "2.0", method: "tools/call", params: { id: "decoy", ...params } };
          const bytes = Buffer.from(JSON.stringify(msg));
          const scanner = new TopLevelId();
          let from = 0;
          for (const c of [...cuts.map((n) => n % (bytes.length + 1))].sort((a, b) => a - b)) {
            scanner.feed(bytes.subarray(from, Math.max(from, c)));
            from = Math.max(from, c);
          }
          scanner.feed(bytes.subarray(from));
          expect(scanner.value()).toEqual(id);
        },
      ),
      { seed: SEED, numRuns: 300 },
    );
    expect(TopLevelId.of('{"jsonrpc":"2.0","method":"x","params":{"id":7}}')).toBeNull();
    expect(TopLevelId.of('{"id":{"a":1}}')).toBeNull();
  });
});

describe("a message over memory.transport.maxMessageBytes", () => {
  it("is answered with an error for its own request, and the connection keeps working", async () => {
    const dir = tempProject({ memory: { transport: { maxMessageBytes: 1024 * 1024 } } });
    dirs.push(dir);
    const s = await connect(dir);
    try {
      const error = await call(
        s.client,
        "memory_store",
        { key: "big", value: "x".repeat(2 * 1024 * 1024) },
        20_000,
      ).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(McpError);
      expect((error as McpError).code).toBe(-32600);
      expect((error as McpError).message).toMatch(/exceeds the server's limit of 1048576 bytes/);
      // Still connected, still serving.
      await s.client.ping();
      const r = await call(s.client, "memory_store", { key: "small", value: "fits" });
      expect(r.isError, textOf(r)).toBeFalsy();
      expect(s.stderr()).toMatch(/exceeds/);
    } finally {
      await s.close();
    }
  });
});

describe("a client that stops reading", () => {
  it("makes the server stop reading too, instead of buffering answers without limit; nothing is lost", async () => {
    const dir = tempProject();
    dirs.push(dir);
    const proc = spawn(process.execPath, [CLI, "serve"], { cwd: dir, env: BASE_ENV });
    proc.stderr.resume();
    const send = (m: unknown) => proc.stdin.write(`${JSON.stringify(m)}\n`);
    let answered = 0;
    let pending = "";
    const count = (d: Buffer) => {
      pending += d.toString("latin1");
      const lines = pending.split("\n");
      pending = lines.pop() ?? "";
      answered += lines.length;
    };
    proc.stdout.on("data", count);
    const rss = () =>
      Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${proc.pid}/status`, "utf8"))?.[1]) * 1024;
    try {
      send(initializeRequest("slow"));
      send({ jsonrpc: "2.0", method: "notifications/initialized" });
      send({
        jsonrpc: "2.0",
        id: 1,
        method: "tools/call",
        params: { name: "memory_store", arguments: { key: "big", value: "v".repeat(900_000) } },
      });
      while (answered < 2) await sleep(20);

      // Stop reading, then ask for ~450 MB of answers (each ~0.9 MB).
      proc.stdout.pause();
      proc.stdout.off("data", count);
      const requests = 500;
      for (let i = 0; i < requests; i++) {
        send({
          jsonrpc: "2.0",
          id: 100 + i,
          method: "tools/call",
          params: { name: "memory_query", arguments: { key: "big" } },
        });
      }
      let peak = 0;
      for (let t = 0; t < 8; t++) {
        await sleep(200);
        peak = Math.max(peak, rss());
      }
      expect(peak, "server memory while its client does not read").toBeLessThan(300 * 1024 * 1024);

      // Reading again: every request is answered.
      proc.stdout.on("data", count);
      proc.stdout.resume();
      const target = 2 + requests;
      for (let t = 0; t < 600 && answered < target; t++) await sleep(100);
      expect(answered).toBe(target);
    } finally {
      proc.kill("SIGKILL");
    }
  }, 120_000);
});

describe("the MCP lifecycle", () => {
  it("a tools/call before initialize is refused with a JSON-RPC error; ping is answered; after initialize it is served", async () => {
    const dir = tempProject();
    dirs.push(dir);
    const raw = new RawServer(dir);
    const store = (id: number) =>
      JSON.stringify({
        jsonrpc: "2.0",
        id,
        method: "tools/call",
        params: { name: "memory_store", arguments: { key: "early", value: 1 } },
      });
    try {
      const early = await raw.send(store(1), 1);
      expect(early.result).toBeUndefined();
      expect(early.error).toMatchObject({ code: -32000 });
      expect((early.error as { message: string }).message).toMatch(
        /not initialized: 'tools\/call' came before initialize; send initialize first/,
      );
      const list = await raw.send('{"jsonrpc":"2.0","id":2,"method":"tools/list"}', 2);
      expect(list.error).toMatchObject({ code: -32000 });
      expect(await raw.send('{"jsonrpc":"2.0","id":3,"method":"ping"}', 3)).toMatchObject({ result: {} });

      await raw.init();
      const served = await raw.send(store(4), 4);
      expect((served.result as { isError?: boolean }).isError).toBeUndefined();
      const get = await raw.send(
        '{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"memory_get","arguments":{"key":"early"}}}',
        5,
      );
      // Stored once: by the call made after initialize, not by the refused one.
      expect(
        (get.result as { structuredContent: { entry: { version: number } } }).structuredContent.entry.version,
      ).toBe(1);
    } finally {
      raw.kill();
    }
  });
});
