/**
 * The benchmark's SQLite FTS5 baseline (bench/peers/sqlite-server.ts) is a working server: started
 * over real stdio with the SDK client (which checks every answer against the tool's outputSchema),
 * it stores, ranks, looks up, batches, gets and deletes, and two processes share its one file.
 */
import { execFileSync } from "node:child_process";
import { statSync } from "node:fs";
import path from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { entityName, entryOf } from "../../bench/lib/corpus.js";
import { bulkLoad, PEER_DB } from "../../bench/peers/sqlite-store.js";
import { ROOT, removeProject, tempProject, textOf } from "../helpers.js";

const SERVER = path.join(ROOT, "dist", "bench", "peers", "sqlite-server.js");
const GET = path.join(ROOT, "dist", "bench", "peers", "sqlite-get.js");
const PRELOADED = 50;

interface Peer {
  client: Client;
  call: (name: string, args: Record<string, unknown>) => Promise<CallToolResult>;
  ok: <T>(name: string, args: Record<string, unknown>) => Promise<T>;
}

async function startPeer(cwd: string): Promise<Peer> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [SERVER],
    cwd,
    env: { PATH: process.env.PATH ?? "" },
    stderr: "pipe",
  });
  const client = new Client({ name: "sqlite-peer-test", version: "1.0.0" });
  await client.connect(transport);
  // listTools caches each tool's outputSchema: from here on the client rejects any answer whose
  // structuredContent does not match it.
  await client.listTools();
  const call = async (name: string, args: Record<string, unknown>) =>
    (await client.callTool({ name, arguments: args })) as CallToolResult;
  return {
    client,
    call,
    ok: async <T>(name: string, args: Record<string, unknown>) => {
      const r = await call(name, args);
      if (r.isError) throw new Error(`${name} failed: ${textOf(r)}`);
      return r.structuredContent as T;
    },
  };
}

interface Hit {
  key: string;
  namespace: string;
  value: unknown;
  score: number;
  version: number;
}

let dir: string;
let a: Peer;
let b: Peer;

beforeAll(async () => {
  dir = tempProject();
  bulkLoad(path.join(dir, PEER_DB), PRELOADED, (i) => entryOf(i));
  a = await startPeer(dir);
  b = await startPeer(dir);
});

afterAll(async () => {
  await a?.client.close();
  await b?.client.close();
  removeProject(dir);
});

describe("the SQLite FTS5 peer over stdio", () => {
  it("offers this project's tool names with input and output schemas", async () => {
    const { tools } = await a.client.listTools();
    const names = tools.map((t) => t.name).sort();
    expect(names).toEqual(["batch_store", "memory_delete", "memory_get", "memory_query", "memory_store"]);
    for (const t of tools) expect(t.outputSchema, t.name).toBeDefined();
  });

  it("serves the bulk-loaded entries by key and by ranked text", async () => {
    const e = entryOf(7);
    const byKey = await a.ok<{ results: Hit[] }>("memory_query", { key: e.key });
    expect(byKey.results).toHaveLength(1);
    expect(byKey.results[0]?.value).toEqual(e.value);
    const words = (e.value as string[])[0]?.split(" ").slice(0, 2).join(" ") as string;
    const ranked = await a.ok<{ results: Hit[] }>("memory_query", { query: words, limit: 50 });
    expect(ranked.results.map((r) => r.key)).toContain(e.key);
  });

  it("stores, then updates with a bumped version and the same id", async () => {
    const first = await a.ok<{ entry: { id: string; version: number }; created: boolean }>("memory_store", {
      key: "auth/login-flow",
      value: "CLI login uses OAuth2 device flow",
      tags: ["auth"],
    });
    expect(first).toMatchObject({ created: true, entry: { version: 1 } });
    const second = await a.ok<{ entry: { id: string; version: number }; created: boolean }>("memory_store", {
      key: "auth/login-flow",
      value: "CLI login uses the OAuth2 device flow with PKCE",
      tags: ["auth"],
    });
    expect(second).toMatchObject({ created: false, entry: { version: 2, id: first.entry.id } });
  });

  it("ranks an entry matching both words above entries matching one, with stemming", async () => {
    await a.ok("memory_store", { key: "notes/one-word", value: "the replication lag was fine" });
    await a.ok("memory_store", { key: "notes/both-words", value: "postgres streaming replication setup" });
    await a.ok("memory_store", { key: "notes/other-word", value: "postgres upgrade notes" });
    const r = await a.ok<{ results: Hit[] }>("memory_query", { query: "Postgres replicating", limit: 10 });
    expect(r.results[0]?.key).toBe("notes/both-words");
    expect(r.results.map((h) => h.key).sort()).toEqual([
      "notes/both-words",
      "notes/one-word",
      "notes/other-word",
    ]);
    const scores = r.results.map((h) => h.score);
    expect([...scores].sort((x, y) => y - x)).toEqual(scores);
    expect(scores[0]).toBeGreaterThan(scores[1] as number);
  });

  it("takes FTS syntax in a query as plain words", async () => {
    const r = await a.ok<{ results: Hit[] }>("memory_query", { query: 'postgres" OR NEAR(( -*', limit: 10 });
    expect(r.results.map((h) => h.key)).toContain("notes/both-words");
  });

  it("lists keys by prefix and filters by namespace", async () => {
    await a.ok("memory_store", { key: "notes/elsewhere", value: "postgres too", namespace: "other" });
    const all = await a.ok<{ results: Hit[] }>("memory_query", { keyPrefix: "notes/", limit: 100 });
    expect(all.results.map((h) => h.key)).toEqual([
      "notes/both-words",
      "notes/elsewhere",
      "notes/one-word",
      "notes/other-word",
    ]);
    const other = await a.ok<{ results: Hit[] }>("memory_query", { query: "postgres", namespace: "other" });
    expect(other.results.map((h) => `${h.namespace}/${h.key}`)).toEqual(["other/notes/elsewhere"]);
  });

  it("batch_store stores the good entries and reports a bad one by index", async () => {
    const r = await a.ok<{
      stored: number;
      updated: number;
      failed: number;
      errors: Array<{ index: number }>;
    }>("batch_store", {
      entries: [
        { key: "task/1", value: "done" },
        { key: "", value: "no key" },
        { key: "task/2", value: { state: "open" }, tags: ["todo"] },
        { key: "auth/login-flow", value: "overwritten by a batch" },
      ],
    });
    expect(r).toMatchObject({ stored: 2, updated: 1, failed: 1 });
    expect(r.errors.map((e) => e.index)).toEqual([1]);
    const got = await a.ok<{ found: boolean; entry: { value: unknown; tags: string[]; version: number } }>(
      "memory_get",
      { key: "task/2" },
    );
    expect(got).toMatchObject({
      found: true,
      entry: { value: { state: "open" }, tags: ["todo"], version: 1 },
    });
  });

  it("rejects a bad argument with an error that names the field, and stores nothing", async () => {
    const r = await a.call("memory_store", { key: "bad/ttl", value: 1, ttl: "soon" });
    expect(r.isError).toBe(true);
    expect(textOf(r)).toMatch(/ttl 'soon' is invalid/);
    expect(await a.ok("memory_get", { key: "bad/ttl" })).toEqual({ found: false });
  });

  it("forgets an entry once its ttl has passed, in gets and in ranked queries", async () => {
    await a.ok("memory_store", { key: "short/lived", value: "ephemeral xylophone", ttl: 1 });
    expect(await a.ok("memory_get", { key: "short/lived" })).toMatchObject({ found: true });
    const before = await a.ok<{ results: Hit[] }>("memory_query", { query: "xylophone" });
    expect(before.results.map((h) => h.key)).toEqual(["short/lived"]);
    await new Promise((r) => setTimeout(r, 1100));
    expect(await a.ok("memory_get", { key: "short/lived" })).toEqual({ found: false });
    const after = await a.ok<{ results: Hit[] }>("memory_query", { query: "xylophone" });
    expect(after.results).toEqual([]);
    // The other entries still rank while an expired one waits in the table.
    const others = await a.ok<{ results: Hit[] }>("memory_query", { query: "postgres" });
    expect(others.results.length).toBeGreaterThan(0);
  });

  it("deletes by key and by prefix, with a dry run first, and the index follows", async () => {
    const dry = await a.ok<{ deleted: number; keys: string[] }>("memory_delete", {
      keyPrefix: "task/",
      dryRun: true,
    });
    expect(dry).toMatchObject({ deleted: 2, keys: ["task/1", "task/2"] });
    expect(await a.ok("memory_get", { key: "task/1" })).toMatchObject({ found: true });
    expect(await a.ok("memory_delete", { keyPrefix: "task/" })).toMatchObject({ deleted: 2 });
    expect(await a.ok("memory_get", { key: "task/1" })).toEqual({ found: false });

    expect(await a.ok("memory_delete", { key: "notes/both-words" })).toMatchObject({ deleted: 1 });
    const r = await a.ok<{ results: Hit[] }>("memory_query", { query: "streaming replication" });
    expect(r.results.map((h) => h.key)).not.toContain("notes/both-words");

    const neither = await a.call("memory_delete", {});
    expect(neither.isError).toBe(true);
    expect(textOf(neither)).toMatch(/key .* or keyPrefix/);
  });

  it("shares one file between processes: each sees the other's writes at once", async () => {
    await a.ok("memory_store", { key: "shared/from-a", value: "written by process a" });
    expect(await b.ok("memory_get", { key: "shared/from-a" })).toMatchObject({ found: true });
    const writes = Array.from({ length: 40 }, (_, i) =>
      (i % 2 ? a : b).ok("memory_store", { key: `shared/k${i}`, value: i, namespace: "both" }),
    );
    await Promise.all(writes);
    const listed = await b.ok<{ results: Hit[] }>("memory_query", {
      keyPrefix: "shared/k",
      namespace: "both",
      limit: 100,
    });
    expect(listed.results).toHaveLength(40);
  });

  it("keeps its data in ./memory/sqlite-peer.db, readable by the one-shot get", () => {
    expect(statSync(path.join(dir, PEER_DB)).mode & 0o777).toBe(0o600);
    const out = execFileSync(process.execPath, [GET, entityName(3)], { cwd: dir, encoding: "utf8" });
    expect(JSON.parse(out)).toMatchObject({ key: entityName(3), value: entryOf(3).value });
  });
});
