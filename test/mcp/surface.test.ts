/**
 * The management tools as an agent calls them (in this process in the fast tier, over real stdio
 * in the system tier): memory_get, memory_delete, import (every source format, progress,
 * per-record errors, the path rule), memory_stats, memory_cleanup. The SDK client checks every
 * structuredContent against the tool's outputSchema.
 */
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { gzipSync } from "node:zlib";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type Connected,
  call,
  connectServer,
  ok,
  ROOT,
  removeProject,
  tempProject,
  textOf,
} from "../helpers.js";

let dir: string;
let s: Connected;

beforeAll(async () => {
  dir = tempProject({ memory: { retentionPolicy: { sessions: "30d", agents: "permanent", scratch: "1s" } } });
  s = await connectServer(dir);
});

afterAll(async () => {
  await s.close();
  removeProject(dir);
});

interface Entry {
  key: string;
  namespace: string;
  value: unknown;
  version: number;
  id: string;
  createdAt: string;
  updatedAt: string;
  tags: string[];
}

describe("tools/list", () => {
  it("offers all ten tools with schemas and honest annotations", async () => {
    const { tools } = await s.client.listTools();
    const byName = new Map(tools.map((t) => [t.name, t]));
    for (const n of ["memory_get", "memory_delete", "import", "memory_stats", "memory_cleanup"]) {
      expect(byName.get(n)?.outputSchema, n).toBeDefined();
    }
    expect(tools).toHaveLength(10);
    expect(byName.get("memory_get")?.annotations?.readOnlyHint).toBe(true);
    expect(byName.get("memory_stats")?.annotations?.readOnlyHint).toBe(true);
    expect(byName.get("memory_delete")?.annotations?.destructiveHint).toBe(true);
    expect(byName.get("memory_cleanup")?.annotations?.destructiveHint).toBe(true);
    expect(s.client.getInstructions()).toMatch(/memory_cleanup/);
  });
});

describe("memory_get", () => {
  it("returns the full entry, and found: false (not an error) for a missing key", async () => {
    await ok(s.client, "memory_store", {
      key: "decision/db",
      value: { choice: "postgres" },
      namespace: "agents",
      tags: ["db"],
      metadata: { by: "architect" },
    });
    const got = await ok<{ found: boolean; entry: Entry & { metadata: unknown } }>(s.client, "memory_get", {
      key: "decision/db",
      namespace: "agents",
    });
    expect(got.found).toBe(true);
    expect(got.entry.value).toEqual({ choice: "postgres" });
    expect(got.entry.metadata).toEqual({ by: "architect" });
    expect(got.entry.version).toBe(1);

    const missing = await call(s.client, "memory_get", { key: "decision/db" });
    expect(missing.isError).toBeFalsy();
    expect(missing.structuredContent).toEqual({ found: false });
    expect(textOf(missing)).toMatch(/Not found/);
  });

  it("reports the effective expiry from the namespace policy", async () => {
    await ok(s.client, "memory_store", { key: "s1", value: "session note", namespace: "sessions" });
    const got = await ok<{ entry: Entry; expiresAt: string }>(s.client, "memory_get", {
      key: "s1",
      namespace: "sessions",
    });
    const days = (Date.parse(got.expiresAt) - Date.parse(got.entry.updatedAt)) / 86_400_000;
    expect(days).toBeCloseTo(30, 5);
  });

  it("rejects a bad key with a message naming the field", async () => {
    const r = await call(s.client, "memory_get", { key: "" });
    expect(r.isError).toBe(true);
    expect(textOf(r)).toMatch(/key is empty/);
  });
});

describe("memory_delete", () => {
  beforeAll(async () => {
    await ok(s.client, "batch_store", {
      namespace: "del",
      entries: [
        { key: "task/1", value: "a", tags: ["done"] },
        { key: "task/2", value: "b", tags: ["done", "q1"] },
        { key: "task/3", value: "c" },
        { key: "note", value: "d", tags: ["done"] },
      ],
    });
  });

  it("dryRun lists without deleting", async () => {
    const r = await ok<{ deleted: number; keys: string[]; dryRun: boolean }>(s.client, "memory_delete", {
      keyPrefix: "task/",
      namespace: "del",
      dryRun: true,
    });
    expect(r).toMatchObject({ deleted: 3, keys: ["task/1", "task/2", "task/3"], dryRun: true });
    const still = await ok<{ found: boolean }>(s.client, "memory_get", { key: "task/1", namespace: "del" });
    expect(still.found).toBe(true);
  });

  it("deletes by prefix and tags together, then by key", async () => {
    const r = await ok<{ deleted: number; keys: string[] }>(s.client, "memory_delete", {
      keyPrefix: "task/",
      tags: ["done"],
      namespace: "del",
    });
    expect(r.keys).toEqual(["task/1", "task/2"]);
    const one = await ok<{ deleted: number; keys: string[] }>(s.client, "memory_delete", {
      key: "note",
      namespace: "del",
    });
    expect(one).toMatchObject({ deleted: 1, keys: ["note"] });
    const again = await ok<{ deleted: number }>(s.client, "memory_delete", { key: "note", namespace: "del" });
    expect(again.deleted).toBe(0);
    const left = await ok<{ results: Array<{ key: string }> }>(s.client, "memory_query", {
      namespace: "del",
    });
    expect(left.results.map((x) => x.key)).toEqual(["task/3"]);
  });

  it("asks for a selector instead of deleting everything", async () => {
    const r = await call(s.client, "memory_delete", { namespace: "del" });
    expect(r.isError).toBe(true);
    expect(textOf(r)).toMatch(/say what to delete/);
    const empty = await call(s.client, "memory_delete", { keyPrefix: "" });
    expect(textOf(empty)).toMatch(/keyPrefix is empty/);
  });
});

describe("import", () => {
  const entryLine = (key: string, extra: Record<string, unknown> = {}) =>
    JSON.stringify({
      id: `id-${key}`,
      key,
      namespace: "imported",
      value: `value of ${key}`,
      type: "semantic",
      tags: ["imp"],
      metadata: {},
      createdAt: "2026-01-01T00:00:00.000Z",
      updatedAt: new Date().toISOString(),
      version: 4,
      ...extra,
    });

  it("round-trips our own json export, keeping ids, createdAt and versions", async () => {
    await ok(s.client, "batch_store", {
      namespace: "rt",
      entries: [
        { key: "a", value: 1 },
        { key: "b", value: { deep: [1, 2] }, tags: ["x"] },
      ],
    });
    const before = await ok<{ entry: Entry }>(s.client, "memory_get", { key: "b", namespace: "rt" });
    await ok(s.client, "export", { path: "memory/exports/rt.json", namespaces: ["rt"] });
    await ok(s.client, "memory_delete", { key: "b", namespace: "rt" });
    const r = await ok<{ format: string; read: number; stored: number; updated: number }>(
      s.client,
      "import",
      {
        path: "memory/exports/rt.json",
      },
    );
    expect(r).toMatchObject({ format: "json", read: 2, stored: 1, updated: 1 });
    const after = await ok<{ entry: Entry }>(s.client, "memory_get", { key: "b", namespace: "rt" });
    expect(after.entry.id).toBe(before.entry.id);
    expect(after.entry.createdAt).toBe(before.entry.createdAt);
    expect(after.entry.updatedAt).toBe(before.entry.updatedAt);
    expect(after.entry.value).toEqual({ deep: [1, 2] });
  });

  it("reads gzipped jsonl, reports a bad line by position and imports the rest, into a chosen namespace", async () => {
    const text = [entryLine("g1"), "{not json", entryLine("g2"), entryLine("g3", { type: "bogus" })].join(
      "\n",
    );
    writeFileSync(path.join(dir, "lines.jsonl.gz"), gzipSync(text));
    const r = await ok<{
      format: string;
      read: number;
      stored: number;
      failed: number;
      errors: Array<{ index: number; message: string }>;
    }>(s.client, "import", { path: "lines.jsonl.gz", namespace: "gz" });
    expect(r).toMatchObject({ format: "jsonl", read: 4, stored: 2, failed: 2 });
    expect(r.errors.map((e) => e.index)).toEqual([1, 3]);
    expect(r.errors[0]?.message).toMatch(/line 2: not valid JSON/);
    expect(r.errors[1]?.message).toMatch(/type 'bogus' is not one of/);
    const g1 = await ok<{ entry: Entry }>(s.client, "memory_get", { key: "g1", namespace: "gz" });
    // Moved into another namespace it is a new entry: it must not share the source's id.
    expect(g1.entry.id).not.toBe("id-g1");
  });

  it("skips entries that are already expired instead of resurrecting them", async () => {
    const old = new Date(Date.now() - 40 * 86_400_000).toISOString();
    writeFileSync(
      path.join(dir, "old.jsonl"),
      [
        entryLine("fresh", { namespace: "sessions" }),
        entryLine("stale", { namespace: "sessions", updatedAt: old }),
      ].join("\n"),
    );
    const r = await ok<{ stored: number; expired: number }>(s.client, "import", { path: "old.jsonl" });
    expect(r).toMatchObject({ stored: 1, expired: 1 });
  });

  it("imports another project's claude-flow-data.json snapshot", async () => {
    const other = tempProject();
    try {
      const o = await connectServer(other);
      await ok(o.client, "batch_store", {
        namespace: "theirs",
        entries: Array.from({ length: 30 }, (_, i) => ({ key: `k${i}`, value: `their fact ${i}` })),
      });
      await o.close();
      await waitFor(() => statSync(path.join(other, "memory", "claude-flow-data.json")).size > 1000);
      mkdirSync(path.join(dir, "migrate"), { recursive: true });
      copyFileSync(
        path.join(other, "memory", "claude-flow-data.json"),
        path.join(dir, "migrate", "claude-flow-data.json"),
      );
      const r = await ok<{ format: string; stored: number }>(s.client, "import", {
        path: "migrate/claude-flow-data.json",
      });
      expect(r).toMatchObject({ format: "snapshot", stored: 30 });
      const q = await ok<{ results: Array<{ key: string }> }>(s.client, "memory_query", {
        query: "their fact 7",
        namespace: "theirs",
      });
      expect(q.results.map((x) => x.key)).toContain("k7");
    } finally {
      removeProject(other);
    }
  });

  it("imports the official memory server's knowledge graph, written by that server itself", async () => {
    const graphFile = path.join(dir, "graph", "memory.jsonl");
    mkdirSync(path.dirname(graphFile), { recursive: true });
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [path.join(ROOT, "node_modules", "@modelcontextprotocol", "server-memory", "dist", "index.js")],
      env: { PATH: process.env.PATH ?? "", MEMORY_FILE_PATH: graphFile },
      stderr: "pipe",
    });
    const official = new Client({ name: "graph-writer", version: "1.0.0" });
    await official.connect(transport);
    await official.callTool({
      name: "create_entities",
      arguments: {
        entities: [
          { name: "Alice", entityType: "person", observations: ["leads the payments team", "prefers Go"] },
          { name: "Payments", entityType: "service", observations: ["written in Go"] },
        ],
      },
    });
    await official.callTool({
      name: "create_relations",
      arguments: { relations: [{ from: "Alice", to: "Payments", relationType: "owns" }] },
    });
    await official.close();

    const progress: number[] = [];
    const r = (await s.client.callTool(
      { name: "import", arguments: { path: "graph/memory.jsonl", namespace: "graph" } },
      undefined,
      { onprogress: (p) => progress.push(p.progress) },
    )) as { structuredContent: { format: string; stored: number; failed: number } };
    expect(r.structuredContent).toMatchObject({ format: "mcp-memory", stored: 3, failed: 0 });
    expect(progress.length).toBeGreaterThan(0);
    const alice = await ok<{ entry: Entry }>(s.client, "memory_get", {
      key: "entity/Alice",
      namespace: "graph",
    });
    expect(alice.entry.value).toMatchObject({
      entityType: "person",
      observations: ["leads the payments team", "prefers Go"],
    });
    expect(alice.entry.tags).toEqual(["entity", "person"]);
    const rel = await ok<{ found: boolean }>(s.client, "memory_get", {
      key: "relation/Alice/owns/Payments",
      namespace: "graph",
    });
    expect(rel.found).toBe(true);
    const q = await ok<{ results: Array<{ key: string }> }>(s.client, "memory_query", {
      query: "payments team lead",
      namespace: "graph",
    });
    expect(q.results[0]?.key).toBe("entity/Alice");
  });

  it("refuses paths outside the project, including through a symlink, and missing files", async () => {
    const outside = mkdtempSync(path.join(tmpdir(), "memory-bank-outside-"));
    try {
      writeFileSync(path.join(outside, "secret.json"), JSON.stringify([{ key: "x", value: 1 }]));
      symlinkSync(outside, path.join(dir, "escape"));
      const up = `../${path.basename(outside)}/secret.json`;
      for (const p of [up, path.join(outside, "secret.json"), "escape/secret.json"]) {
        const r = await call(s.client, "import", { path: p });
        expect(r.isError, p).toBe(true);
        expect(textOf(r), p).toMatch(/outside the project directory.*\[PATH_OUTSIDE_PROJECT\]/);
      }
      const missing = await call(s.client, "import", { path: "nope.json" });
      expect(textOf(missing)).toMatch(/does not exist.*\[NOT_FOUND\]/);
      // A path that names nothing says so, wherever it points: not "outside the project".
      const absent = await call(s.client, "import", { path: "/nonexistent.json" });
      expect(textOf(absent)).toMatch(/'\/nonexistent.json' does not exist.*\[NOT_FOUND\]/);
      writeFileSync(path.join(dir, "broken.json"), '{"entries": [');
      const broken = await call(s.client, "import", { path: "broken.json", format: "json" });
      expect(textOf(broken)).toMatch(/'broken.json' is not valid JSON/);
    } finally {
      removeProject(outside);
    }
  });
});

describe("memory_stats", () => {
  it("counts per namespace and type, disk bytes, index terms and the processes using the store", async () => {
    const st = await ok<{
      entries: number;
      namespaces: Array<{
        namespace: string;
        entries: number;
        retention: string;
        byType: Record<string, number>;
        valueBytes?: number;
      }>;
      disk: { snapshotBytes: number; journalBytes: number };
      index: { terms: number; documents: number };
      processes: Array<{ pid: number; kind: string; client?: string; status: string }>;
    }>(s.client, "memory_stats", { verbose: true });
    expect(st.entries).toBeGreaterThan(10);
    const agents = st.namespaces.find((n) => n.namespace === "agents");
    expect(agents).toMatchObject({ entries: 1, retention: "permanent", byType: { semantic: 1 } });
    expect(agents?.valueBytes).toBe(JSON.stringify({ choice: "postgres" }).length);
    expect(st.disk.snapshotBytes + st.disk.journalBytes).toBeGreaterThan(0);
    expect(st.index.terms).toBeGreaterThan(10);
    const me = st.processes.find((p) => p.pid === s.pid);
    expect(me).toMatchObject({ kind: "server", client: "memory-bank-test 1.0.0", status: "alive" });
    const one = await ok<{ namespaces: Array<{ namespace: string }> }>(s.client, "memory_stats", {
      namespace: "agents",
    });
    expect(one.namespaces.map((n) => n.namespace)).toEqual(["agents"]);
  });
});

describe("memory_cleanup and retention", () => {
  it("hides expired entries at once, removes them on cleanup, and never touches permanent namespaces", async () => {
    await ok(s.client, "memory_store", { key: "temp", value: "short", namespace: "scratch" });
    await ok(s.client, "memory_store", { key: "keep", value: "long", namespace: "scratch", ttl: "1h" });
    await ok(s.client, "memory_store", { key: "ttl-only", value: "x", namespace: "notes", ttl: 1 });
    await ok(s.client, "memory_store", { key: "forever", value: "agent profile", namespace: "agents" });
    await sleep(1200);
    // "scratch" keeps entries 1s: 'temp' is gone for readers, 'keep' has a TTL that wins over the policy.
    expect(
      (await ok<{ found: boolean }>(s.client, "memory_get", { key: "temp", namespace: "scratch" })).found,
    ).toBe(false);
    expect(
      (await ok<{ found: boolean }>(s.client, "memory_get", { key: "keep", namespace: "scratch" })).found,
    ).toBe(true);
    expect(
      (await ok<{ found: boolean }>(s.client, "memory_get", { key: "ttl-only", namespace: "notes" })).found,
    ).toBe(false);

    const stats = await ok<{ expired: number }>(s.client, "memory_stats", {});
    expect(stats.expired).toBeGreaterThanOrEqual(2);

    const dry = await ok<{ dryRun: boolean; removed: number }>(s.client, "memory_cleanup", { dryRun: true });
    expect(dry).toMatchObject({ dryRun: true, removed: 2 });
    const r = await ok<{
      removed: number;
      namespaces: Array<{ namespace: string; removed: number; keys: string[] }>;
      skipped: Array<{ namespace: string; reason: string }>;
    }>(s.client, "memory_cleanup", {});
    expect(r.removed).toBe(2);
    expect(r.namespaces.find((n) => n.namespace === "scratch")?.keys).toEqual(["temp"]);
    expect(r.namespaces.find((n) => n.namespace === "notes")?.keys).toEqual(["ttl-only"]);
    expect(r.skipped).toContainEqual({ namespace: "agents", reason: "retention is permanent" });
    const after = await ok<{ expired: number }>(s.client, "memory_stats", {});
    expect(after.expired).toBe(0);
    expect(
      (await ok<{ found: boolean }>(s.client, "memory_get", { key: "forever", namespace: "agents" })).found,
    ).toBe(true);
    const withExpired = await ok<{ results: unknown[] }>(s.client, "memory_query", {
      key: "temp",
      namespace: "scratch",
      includeExpired: true,
    });
    expect(withExpired.results).toHaveLength(0);
  });

  it("rejects an unknown namespace by name", async () => {
    const r = await call(s.client, "memory_cleanup", { namespaces: ["no-such-ns"] });
    expect(r.isError).toBe(true);
    expect(textOf(r)).toMatch(/unknown namespace 'no-such-ns'/);
  });
});

describe("session record", () => {
  it("the server's record names its client and counts its tool calls", async () => {
    const sessions = path.join(dir, "memory", "sessions");
    await waitFor(() =>
      readdirSync(sessions).some((f) => {
        const r = JSON.parse(readFileSync(path.join(sessions, f), "utf8"));
        return r.pid === s.pid && r.client?.name === "memory-bank-test";
      }),
    );
    const file = readdirSync(sessions).find((f) => f.startsWith(`server-${s.pid}-`));
    expect(file).toBeDefined();
    expect(statSync(path.join(sessions, file as string)).mode & 0o777).toBe(0o600);
  });
});

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

async function waitFor(check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (check()) return;
    } catch {
      // not there yet
    }
    if (Date.now() > until) throw new Error("timed out waiting");
    await sleep(50);
  }
}
