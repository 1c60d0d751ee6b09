/**
 * memory_query ranking as an agent sees it (in this process in the fast tier, over real stdio in
 * the system tier): key matches first, typos found, filters exclude, cursors stable across
 * writes, caches never stale, other servers' writes searchable (other processes' over stdio),
 * and semantic mode against a local embedding server over real HTTP.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type EmbeddingServer, startEmbeddingServer } from "../../bench/eval/embed-server.js";
import { type Connected, call, connectServer, ok, removeProject, tempProject, textOf } from "../helpers.js";

interface Hit {
  key: string;
  namespace: string;
  score: number;
}
interface Page {
  results: Hit[];
  nextCursor?: string;
}

const query = (s: Connected, args: Record<string, unknown>) => ok<Page>(s.client, "memory_query", args);
const keys = (p: Page) => p.results.map((r) => r.key);

describe("ranking over stdio", () => {
  let dir: string;
  let s: Connected;

  beforeAll(async () => {
    dir = tempProject();
    s = await connectServer(dir);
    await ok(s.client, "batch_store", {
      entries: [
        { key: "auth/login-flow", value: "The CLI signs in with the OAuth2 device flow", tags: ["auth"] },
        { key: "notes/misc", value: "remember: the login flow page needs a new screenshot", tags: ["docs"] },
        { key: "db/replication", value: "PostgreSQL streaming replication with two standbys", tags: ["db"] },
        {
          key: "db/backups",
          value: "Nightly pg_dump to object storage",
          tags: ["db", "ops"],
          type: "procedural",
        },
        { key: "ops/deploy", value: { steps: ["build", "push image", "roll out"] }, tags: ["ops"] },
        {
          key: "cache/redis",
          value: "Redis holds sessions for 12 hours",
          tags: ["infra"],
          namespace: "infra",
        },
      ],
    });
  });

  afterAll(async () => {
    await s.close();
    removeProject(dir);
  });

  it("ranks an exact key match above a body match", async () => {
    const p = await query(s, { query: "login flow" });
    expect(keys(p).slice(0, 2)).toEqual(["auth/login-flow", "notes/misc"]);
    expect(p.results[0]?.score).toBeGreaterThan(p.results[1]?.score ?? Number.POSITIVE_INFINITY);
  });

  it("finds entries through typos (default hybrid mode), and fulltext does not", async () => {
    const p = await query(s, { query: "postgress replicaton" });
    expect(keys(p)[0]).toBe("db/replication");
    const strict = await query(s, { query: "postgress replicaton", mode: "fulltext" });
    expect(keys(strict)).not.toContain("db/replication");
  });

  it("answers natural-language questions through stemming and code-aware keys", async () => {
    expect(keys(await query(s, { query: "how do we authenticate the CLI login?" }))[0]).toBe(
      "auth/login-flow",
    );
    expect(keys(await query(s, { query: "deploying images" }))).toContain("ops/deploy");
  });

  it("applies filters inside the ranking: namespace, tags, type", async () => {
    expect(keys(await query(s, { query: "db", tags: ["ops"] }))).toEqual(["db/backups"]);
    expect(keys(await query(s, { query: "replication backups", type: "procedural" }))).toEqual([
      "db/backups",
    ]);
    expect(keys(await query(s, { query: "redis sessions", namespace: "default" }))).toEqual([]);
    expect(keys(await query(s, { query: "redis sessions", namespace: "infra" }))).toEqual(["cache/redis"]);
    const any = await query(s, { query: "db ops auth", tags: ["auth", "ops"], tagMode: "any" });
    expect(keys(any).sort()).toEqual(["auth/login-flow", "db/backups", "ops/deploy"]);
  });

  it("sees a write on the very next identical query (no stale cache)", async () => {
    const before = await query(s, { query: "zanzibar lighthouse" });
    expect(keys(before)).toEqual([]);
    await ok(s.client, "memory_store", { key: "travel/zanzibar", value: "the lighthouse at Zanzibar" });
    expect(keys(await query(s, { query: "zanzibar lighthouse" }))).toEqual(["travel/zanzibar"]);
    await ok(s.client, "memory_store", { key: "travel/zanzibar", value: "moved elsewhere" });
    expect(keys(await query(s, { query: "lighthouse" }))).toEqual([]);
  });

  it("says how to turn semantic mode on when embeddings are off", async () => {
    const r = await call(s.client, "memory_query", { query: "anything", mode: "semantic" });
    expect(r.isError).toBe(true);
    expect(textOf(r)).toMatch(/memory\.embeddings\.enabled/);
  });
});

describe("paging across writes", () => {
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

  it("never repeats nor skips an unchanged entry, however collection statistics move between pages", async () => {
    // Lengths differ so scores are spread; writes between pages change idf and average lengths.
    const entries = Array.from({ length: 40 }, (_, i) => ({
      key: `report/${String(i).padStart(2, "0")}`,
      value: `quarterly report ${"filler words here ".repeat(i % 7)}${i % 3 === 0 ? "report" : ""}`,
    }));
    await ok(s.client, "batch_store", { entries });
    const seen: string[] = [];
    let cursor: string | undefined;
    let round = 0;
    do {
      const page = await query(s, { query: "quarterly report", limit: 6, ...(cursor ? { cursor } : {}) });
      seen.push(...keys(page));
      cursor = page.nextCursor;
      // Many new matching documents (idf of both words falls) and some strong ones that rank first.
      await ok(s.client, "batch_store", {
        entries: Array.from({ length: 15 }, (_, i) => ({
          key: `zz/${round}-${i}`,
          value: i < 3 ? "quarterly report quarterly report" : `quarterly ${"x ".repeat(i)}`,
        })),
      });
      round++;
    } while (cursor && round < 50);
    const original = seen.filter((k) => k.startsWith("report/"));
    expect(new Set(original).size).toBe(original.length);
    expect(original.sort()).toEqual(entries.map((e) => e.key).sort());
  });

  it("rejects a cursor from another query with a clear message", async () => {
    const page = await query(s, { query: "quarterly report", limit: 2 });
    expect(page.nextCursor).toBeDefined();
    const r = await call(s.client, "memory_query", {
      query: "other words",
      limit: 2,
      cursor: page.nextCursor,
    });
    expect(r.isError).toBe(true);
    expect(textOf(r)).toMatch(/cursor belongs to a different query/);
  });
});

describe("two processes on one store", () => {
  let dir: string;
  let a: Connected;
  let b: Connected;

  beforeAll(async () => {
    dir = tempProject();
    [a, b] = await Promise.all([connectServer(dir), connectServer(dir)]);
  });

  afterAll(async () => {
    await Promise.all([a.close(), b.close()]);
    removeProject(dir);
  });

  it("process B's text index follows process A's stores, updates and deletes", async () => {
    // B has built its index (and cached this answer) before A writes.
    expect(keys(await query(b, { query: "kubernetes autoscaling" }))).toEqual([]);
    await ok(a.client, "memory_store", {
      key: "k8s/hpa",
      value: "Kubernetes autoscaling uses the HPA on CPU",
    });
    await ok(a.client, "memory_store", { key: "k8s/old", value: "kubernetes legacy notes" });
    expect(keys(await query(b, { query: "kubernetes autoscaling" }))).toEqual(["k8s/hpa", "k8s/old"]);
    expect(keys(await query(b, { query: "kubernets autoscalling" }))[0]).toBe("k8s/hpa");

    await ok(a.client, "memory_store", { key: "k8s/hpa", value: "pods scale on queue length now" });
    await ok(a.client, "memory_delete", { key: "k8s/old" });
    expect(keys(await query(b, { query: "kubernetes autoscaling" }))).toEqual([]);
    expect(keys(await query(b, { query: "queue length" }))).toEqual(["k8s/hpa"]);
  });
});

describe("semantic mode over a local embedding server", () => {
  let dir: string;
  let s: Connected;
  let server: EmbeddingServer;

  beforeAll(async () => {
    server = await startEmbeddingServer({ provider: "ollama" });
    dir = tempProject({
      memory: {
        embeddings: { enabled: true, provider: "ollama", url: server.url, model: "hash", batchSize: 2 },
      },
    });
    s = await connectServer(dir);
    await ok(s.client, "batch_store", {
      entries: [
        { key: "a", value: "login uses the OAuth2 device flow", tags: ["auth"] },
        { key: "b", value: "nightly database backups to object storage", tags: ["db"] },
        { key: "c", value: "streaming replication keeps two database standbys", tags: ["db"] },
        { key: "d", value: "the frontend is built with vite", tags: ["web"] },
        { key: "e", value: "database connection pool size is 20", tags: ["db"] },
      ],
    });
  });

  afterAll(async () => {
    await s.close();
    await server.close();
    removeProject(dir);
  });

  it("ranks by cosine similarity, applies filters, and fuses into hybrid", async () => {
    const p = await query(s, { query: "database backups", mode: "semantic" });
    expect(keys(p)[0]).toBe("b");
    expect(p.results[0]?.score).toBeLessThanOrEqual(1);
    // Entries were sent in batches of embeddings.batchSize.
    expect(server.requests).toBeGreaterThanOrEqual(3);
    const filtered = await query(s, { query: "database backups", mode: "semantic", tags: ["auth"] });
    expect(keys(filtered)).toEqual(["a"]);
    const hybrid = await query(s, { query: "database backups" });
    expect(keys(hybrid)[0]).toBe("b");
    expect(keys(hybrid)).toContain("e");
  });

  it("pages semantic results without repeats across writes", async () => {
    const seen: string[] = [];
    let cursor: string | undefined;
    let i = 0;
    do {
      const page = await query(s, {
        query: "database",
        mode: "semantic",
        limit: 2,
        ...(cursor ? { cursor } : {}),
      });
      seen.push(...keys(page));
      cursor = page.nextCursor;
      await ok(s.client, "memory_store", { key: `new-${i++}`, value: "database database" });
    } while (cursor && i < 20);
    const original = seen.filter((k) => !k.startsWith("new-"));
    expect(original.sort()).toEqual(["a", "b", "c", "d", "e"]);
  });

  it("fails semantic queries clearly when the endpoint is down; other modes keep working", async () => {
    server.failWith = 503;
    await ok(s.client, "memory_store", { key: "f", value: "database failover runbook" });
    const r = await call(s.client, "memory_query", { query: "database failover", mode: "semantic" });
    expect(r.isError).toBe(true);
    expect(textOf(r)).toContain(server.url);
    expect(textOf(r)).toContain("memory.embeddings.url");
    expect(keys(await query(s, { query: "database failover", mode: "fulltext" }))[0]).toBe("f");
    expect(keys(await query(s, { query: "database failover" }))[0]).toBe("f");
    server.failWith = undefined;
    expect(keys(await query(s, { query: "database failover", mode: "semantic" }))[0]).toBe("f");
  });
});
