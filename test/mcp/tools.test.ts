/**
 * The core tools as an agent calls them (in this process in the fast tier, over real stdio in the
 * system tier): memory_store and its versions, TTLs and expiry, memory_query, batch_store,
 * parallel_query, export; every structuredContent is checked by the SDK client against the
 * tool's outputSchema.
 */
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, statSync, symlinkSync } from "node:fs";
import path from "node:path";
import { gunzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Connected, call, connectServer, ok, removeProject, tempProject, textOf } from "../helpers.js";

let dir: string;
let s: Connected;

beforeAll(async () => {
  dir = tempProject();
  s = await connectServer(dir);
});

afterAll(async () => {
  await s.close();
  removeProject(dir);
});

describe("tools/list", () => {
  it("offers the five core tools with input and output schemas and annotations", async () => {
    const { tools } = await s.client.listTools();
    const names = tools.map((t) => t.name);
    for (const n of ["memory_store", "memory_query", "batch_store", "parallel_query", "export"]) {
      expect(names).toContain(n);
    }
    for (const t of tools) {
      expect(t.outputSchema, t.name).toBeDefined();
      expect(t.annotations, t.name).toBeDefined();
      expect(t.description?.length, t.name).toBeGreaterThan(40);
    }
    expect(s.client.getInstructions()).toMatch(/memory_query/);
  });
});

describe("memory_store", () => {
  it("creates, then updates with a bumped version", async () => {
    const a = await ok<{ entry: { version: number; id: string }; created: boolean }>(
      s.client,
      "memory_store",
      {
        key: "auth/login-flow",
        value: "CLI login uses OAuth2 device flow",
        tags: ["auth"],
      },
    );
    expect(a.created).toBe(true);
    expect(a.entry.version).toBe(1);
    const b = await ok<{ entry: { version: number; id: string }; created: boolean }>(
      s.client,
      "memory_store",
      {
        key: "auth/login-flow",
        value: { flow: "device", provider: "OAuth2" },
      },
    );
    expect(b.created).toBe(false);
    expect(b.entry.version).toBe(2);
    expect(b.entry.id).toBe(a.entry.id);
  });

  it("honours ifVersion and reports a conflict without changing anything", async () => {
    await ok(s.client, "memory_store", { key: "cfg", value: 1 });
    const r = await call(s.client, "memory_store", { key: "cfg", value: 2, ifVersion: 5 });
    expect(r.isError).toBe(true);
    expect(textOf(r)).toMatch(/version 1, not 5/);
    const q = await ok<{ results: Array<{ value: unknown; version: number }> }>(s.client, "memory_query", {
      key: "cfg",
    });
    expect(q.results[0]?.value).toBe(1);
    const created = await call(s.client, "memory_store", { key: "fresh", value: 1, ifVersion: 0 });
    expect(created.isError).toBeFalsy();
    const again = await call(s.client, "memory_store", { key: "fresh", value: 2, ifVersion: 0 });
    expect(again.isError).toBe(true);
  });

  it("sets expiresAt from a ttl and hides expired entries", async () => {
    const r = await ok<{ entry: { expiresAt?: string } }>(s.client, "memory_store", {
      key: "short-lived",
      value: "gone soon",
      ttl: 1,
    });
    expect(Date.parse(r.entry.expiresAt ?? "")).toBeGreaterThan(Date.now() - 5000);
    await new Promise((res) => setTimeout(res, 1100));
    const q = await ok<{ results: unknown[] }>(s.client, "memory_query", { key: "short-lived" });
    expect(q.results).toHaveLength(0);
    const all = await ok<{ results: unknown[] }>(s.client, "memory_query", {
      key: "short-lived",
      includeExpired: true,
    });
    expect(all.results).toHaveLength(1);
  });
});

describe("memory_query", () => {
  it("finds by words, by exact key and by prefix, filtered by namespace and tags", async () => {
    await ok(s.client, "memory_store", {
      key: "db/replication",
      value: "PostgreSQL streaming replication with one hot standby",
      namespace: "agents",
      tags: ["db"],
    });
    await ok(s.client, "memory_store", { key: "db/backup", value: "nightly pg_dump", namespace: "agents" });
    const text = await ok<{ results: Array<{ key: string }> }>(s.client, "memory_query", {
      query: "postgresql replication",
    });
    expect(text.results[0]?.key).toBe("db/replication");
    const prefix = await ok<{ results: Array<{ key: string }> }>(s.client, "memory_query", {
      keyPrefix: "db/",
      namespace: "agents",
    });
    expect(prefix.results.map((r) => r.key).sort()).toEqual(["db/backup", "db/replication"]);
    const tagged = await ok<{ results: Array<{ key: string }> }>(s.client, "memory_query", {
      keyPrefix: "db/",
      namespace: "agents",
      tags: ["db"],
    });
    expect(tagged.results.map((r) => r.key)).toEqual(["db/replication"]);
    const otherNs = await ok<{ results: unknown[] }>(s.client, "memory_query", {
      key: "db/backup",
      namespace: "tasks",
    });
    expect(otherNs.results).toHaveLength(0);
  });

  it("pages with a cursor without repeating or skipping", async () => {
    const entries = Array.from({ length: 25 }, (_, i) => ({
      key: `page/${String(i).padStart(2, "0")}`,
      value: i,
    }));
    await ok(s.client, "batch_store", { entries, namespace: "paging" });
    const seen: string[] = [];
    let cursor: string | undefined;
    for (let i = 0; i < 10; i++) {
      const page = await ok<{ results: Array<{ key: string }>; nextCursor?: string }>(
        s.client,
        "memory_query",
        {
          keyPrefix: "page/",
          namespace: "paging",
          limit: 10,
          ...(cursor ? { cursor } : {}),
        },
      );
      seen.push(...page.results.map((r) => r.key));
      cursor = page.nextCursor;
      if (!cursor) break;
    }
    expect(seen).toEqual(entries.map((e) => e.key));
  });
});

describe("batch_store", () => {
  it("stores many, reports a bad entry by index and keeps the rest", async () => {
    const r = await ok<{ stored: number; failed: number; errors: Array<{ index: number; message: string }> }>(
      s.client,
      "batch_store",
      {
        namespace: "tasks",
        entries: [
          { key: "t1", value: "one" },
          { key: "t2", value: "two", ttl: "soon" },
          { key: "t3", value: "three" },
        ],
      },
    );
    expect(r.stored).toBe(2);
    expect(r.failed).toBe(1);
    expect(r.errors[0]?.index).toBe(1);
    expect(r.errors[0]?.message).toMatch(/ttl 'soon' is invalid/);
    const q = await ok<{ results: Array<{ key: string }> }>(s.client, "memory_query", {
      keyPrefix: "t",
      namespace: "tasks",
    });
    expect(q.results.map((x) => x.key).sort()).toEqual(["t1", "t3"]);
  }, 20_000);
});

describe("parallel_query", () => {
  it("runs several searches, each in each namespace, and reports them separately", async () => {
    const r = await ok<{
      results: Array<{ query: string; namespace?: string; results: Array<{ key: string }> }>;
    }>(s.client, "parallel_query", {
      queries: ["replication", { key: "t1" }],
      namespaces: ["agents", "tasks"],
      limit: 3,
    });
    expect(r.results).toHaveLength(4);
    const find = (q: string, ns: string) => r.results.find((x) => x.query === q && x.namespace === ns);
    expect(find("replication", "agents")?.results[0]?.key).toBe("db/replication");
    expect(find("replication", "tasks")?.results).toEqual([]);
    expect(find("t1", "tasks")?.results[0]?.key).toBe("t1");
  });
});

describe("export", () => {
  it("writes json atomically with 0600 and a sha256 of the bytes on disk", async () => {
    const r = await ok<{ path: string; entries: number; bytes: number; sha256: string }>(s.client, "export", {
      path: "out/all.json",
      namespaces: ["agents"],
    });
    const file = path.join(dir, r.path);
    const bytes = readFileSync(file);
    expect(bytes.length).toBe(r.bytes);
    expect(createHash("sha256").update(bytes).digest("hex")).toBe(r.sha256);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const doc = JSON.parse(bytes.toString("utf8"));
    expect(doc.entries.map((e: { key: string }) => e.key)).toEqual(["db/backup", "db/replication"]);
    expect(r.entries).toBe(2);
  });

  it("writes gzipped jsonl, one entry per line, under memory/exports by default", async () => {
    const r = await ok<{ path: string; entries: number }>(s.client, "export", {
      format: "jsonl",
      compress: true,
    });
    expect(r.path).toMatch(/^memory\/exports\/memory-.*\.jsonl\.gz$/);
    const lines = gunzipSync(readFileSync(path.join(dir, r.path)))
      .toString("utf8")
      .trim()
      .split("\n");
    expect(lines).toHaveLength(r.entries);
    expect(JSON.parse(lines[0] as string)).toHaveProperty("key");
  });

  it("refuses a path that leaves the project through a symlink", async () => {
    mkdirSync(path.join(dir, "links"), { recursive: true });
    symlinkSync("/tmp", path.join(dir, "links", "out"));
    const r = await call(s.client, "export", { path: "links/out/stolen.json" });
    expect(r.isError).toBe(true);
    expect(textOf(r)).toMatch(/outside the project directory/);
  });
});
