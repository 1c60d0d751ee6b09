/**
 * MemoryBank with embeddings on, in-process, against a local embedding server over real HTTP:
 * batching, persisted vectors (0600, reused across restarts, stale ones re-embedded), other
 * processes' entries embedded, semantic ranking with filters, and stable fused paging.
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type EmbeddingServer, startEmbeddingServer } from "../../../bench/eval/embed-server.js";
import { resolveConfig } from "../../../src/config/config.js";
import { MemoryBank } from "../../../src/service/bank.js";
import { removeProject, tempProject } from "../../helpers.js";

let server: EmbeddingServer;
const dirs: string[] = [];
const banks: MemoryBank[] = [];

beforeAll(async () => {
  server = await startEmbeddingServer({ provider: "openai-compatible" });
});
afterEach(async () => {
  await Promise.all(banks.splice(0).map((b) => b.close()));
  for (const d of dirs.splice(0)) removeProject(d);
});
afterAll(async () => {
  await server.close();
});

async function open(dir: string, embeddings: Record<string, unknown> = {}): Promise<MemoryBank> {
  const loaded = resolveConfig(
    {
      memory: {
        store: { fsync: false },
        embeddings: { enabled: true, url: server.url, model: "hash", batchSize: 3, ...embeddings },
      },
    },
    dir,
  );
  const bank = await MemoryBank.open(loaded, { log: () => {} });
  banks.push(bank);
  return bank;
}

function project(): string {
  const d = tempProject();
  dirs.push(d);
  return d;
}

const DOCS = [
  ["auth/login", "login uses the OAuth2 device flow"],
  ["db/backup", "nightly database backups go to object storage"],
  ["db/replica", "streaming replication keeps two database standbys"],
  ["web/build", "the frontend is built with vite and served by nginx"],
  ["db/pool", "database connection pool size is 20"],
  ["ops/oncall", "the on-call rotation changes every monday"],
  ["ops/alerts", "alerts page the on-call engineer through pagerduty"],
] as const;

describe("semantic search in MemoryBank", () => {
  it("embeds in batches, ranks by cosine with filters, and persists vectors 0600", async () => {
    const dir = project();
    const bank = await open(dir);
    const before = server.inputs.length;
    await bank.batchStore({
      entries: DOCS.map(([key, value]) => ({ key, value, tags: [key.split("/")[0] as string] })),
    });
    const r = await bank.query({ query: "database backups", mode: "semantic", limit: 3 });
    expect(r.results[0]?.key).toBe("db/backup");
    expect(server.inputs.length - before).toBe(DOCS.length + 1); // every entry once, plus the query
    const ops = await bank.query({ query: "database backups", mode: "semantic", tags: ["ops"] });
    expect(ops.results.map((x) => x.key).sort()).toEqual(["ops/alerts", "ops/oncall"]);
    expect(bank.embeddings?.pending).toBe(0);
    const file = bank.embeddings?.file as string;
    await bank.close();
    banks.pop();
    expect(existsSync(file)).toBe(true);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readFileSync(file, "utf8").trim().split("\n")).toHaveLength(DOCS.length + 1);

    // A restart reuses every vector; an edited entry alone is sent again.
    const again = await open(dir);
    let sent = server.inputs.length;
    expect((await again.query({ query: "database backups", mode: "semantic" })).results[0]?.key).toBe(
      "db/backup",
    );
    expect(server.inputs.slice(sent)).toEqual(["database backups"]); // the query alone
    sent = server.inputs.length;
    await again.storeEntry({ key: "ops/oncall", value: "the on-call rotation changes every friday" });
    await again.query({ query: "rotation friday", mode: "semantic" });
    expect(server.inputs.slice(sent)).toEqual([expect.stringContaining("friday"), "rotation friday"]);
  });

  it("embeds entries written by another process", async () => {
    const dir = project();
    const a = await open(dir);
    const b = await open(dir);
    await a.storeEntry({ key: "remote/thing", value: "kubernetes autoscaling on queue length" });
    const r = await b.query({ query: "autoscaling kubernetes", mode: "semantic", limit: 1 });
    expect(r.results[0]?.key).toBe("remote/thing");
    await a.batchStore({ entries: [{ key: "gone", value: "kubernetes" }] });
    expect((await b.query({ query: "kubernetes", mode: "semantic" })).results.map((x) => x.key)).toContain(
      "gone",
    );
  });

  it("hybrid pages stay exact and stable across writes when fused with cosine", async () => {
    const bank = await open(project());
    await bank.batchStore({
      entries: Array.from({ length: 160 }, (_, i) => ({
        key: `k${String(i).padStart(2, "0")}`,
        value: `${i % 3 ? "database" : "storage"} ${i % 2 ? "backups" : "replication"} ${"note ".repeat(i % 7)}`,
      })),
    });
    const all = await bank.query({ query: "database backups", limit: 1000 });
    const seen: string[] = [];
    let cursor: string | undefined;
    let round = 0;
    do {
      // Pages of 30 with 160 matches: the fused ranking widens its BM25 window beyond the first 100.
      const page = await bank.query({ query: "database backups", limit: 30, ...(cursor ? { cursor } : {}) });
      seen.push(...page.results.map((r) => r.key));
      cursor = page.nextCursor;
      await bank.batchStore({
        entries: Array.from({ length: 5 }, (_, i) => ({
          key: `new/${round}-${i}`,
          value: "database backups database",
        })),
      });
      round++;
    } while (cursor && round < 40);
    const original = seen.filter((k) => !k.startsWith("new/"));
    expect(new Set(original).size).toBe(original.length);
    expect(original).toEqual(all.results.map((r) => r.key));
  });

  it("a misconfigured endpoint fails semantic queries with the field to fix; text modes keep working", async () => {
    const bank = await open(project(), { url: "http://127.0.0.1:9/embed" });
    await bank.storeEntry({ key: "x", value: "database backups" });
    await expect(bank.query({ query: "database", mode: "semantic" })).rejects.toThrow(
      /http:\/\/127\.0\.0\.1:9\/embed \(memory\.embeddings\.url\) cannot be reached/,
    );
    expect((await bank.query({ query: "database" })).results[0]?.key).toBe("x");
    expect(bank.querySync({ query: "database", mode: "fulltext" }).results[0]?.key).toBe("x");
  });
});
