import { describe, expect, it } from "vitest";
import { SearchIndex } from "../../src/search/index.js";
import { doc, filter } from "./helpers.js";

const keys = (index: SearchIndex, text: string, mode?: "fulltext" | "fuzzy" | "hybrid") =>
  index.search({ text, mode, filter: filter(), limit: 10 }).hits.map((h) => h.key);

describe("ranking", () => {
  it("ranks an exact key match above a body match", () => {
    const index = new SearchIndex();
    index.upsert(doc({ key: "notes/misc", value: "we discussed the deployment checklist today" }));
    index.upsert(doc({ key: "deployment-checklist", value: "steps to follow" }));
    expect(keys(index, "deployment checklist")[0]).toBe("deployment-checklist");
  });

  it("ranks documents matching more query terms higher (OR semantics)", () => {
    const index = new SearchIndex();
    index.upsert(doc({ key: "a", value: "redis cache eviction" }));
    index.upsert(doc({ key: "b", value: "redis cluster setup" }));
    index.upsert(doc({ key: "c", value: "cache warming strategy" }));
    const ranked = keys(index, "redis cache");
    expect(ranked[0]).toBe("a");
    expect(ranked.slice(1).sort()).toEqual(["b", "c"]);
  });

  it("weighs tags above the value", () => {
    const index = new SearchIndex();
    index.upsert(doc({ key: "x", value: "kubernetes notes", tags: [] }));
    index.upsert(doc({ key: "y", value: "notes", tags: ["kubernetes"] }));
    expect(keys(index, "kubernetes")).toEqual(["y", "x"]);
  });

  it("finds a stemmed variant in fulltext mode", () => {
    const index = new SearchIndex();
    index.upsert(doc({ key: "r", value: "Postgres streaming replication" }));
    expect(keys(index, "replicated", "fulltext")).toEqual(["r"]);
  });

  it("finds code identifiers by their parts and by other spellings", () => {
    const index = new SearchIndex();
    index.upsert(doc({ key: "k", value: { module: "AuthService", path: "src/http_server.ts" } }));
    expect(keys(index, "auth service")).toEqual(["k"]);
    expect(keys(index, "auth_service")).toEqual(["k"]);
    expect(keys(index, "httpServer")).toEqual(["k"]);
  });

  it("orders equal scores by namespace, then key", () => {
    const index = new SearchIndex();
    for (const [namespace, key] of [
      ["b", "2"],
      ["a", "2"],
      ["b", "1"],
      ["a", "1"],
    ]) {
      index.upsert(doc({ namespace, key: `k${key}`, value: "same words" }));
    }
    const hits = index.search({ text: "same", filter: filter(), limit: 10 }).hits;
    expect(hits.map((h) => `${h.namespace}/${h.key}`)).toEqual(["a/k1", "a/k2", "b/k1", "b/k2"]);
  });

  it("lists every document passing the filter for an empty query", () => {
    const index = new SearchIndex();
    index.upsert(doc({ key: "b" }));
    index.upsert(doc({ key: "a" }));
    const result = index.search({ text: "  ", filter: filter(), limit: 10 });
    expect(result.hits).toEqual([
      { namespace: "default", key: "a", score: 0 },
      { namespace: "default", key: "b", score: 0 },
    ]);
  });

  it("ignores stop words", () => {
    const index = new SearchIndex();
    index.upsert(doc({ key: "a", value: "the cat" }));
    expect(keys(index, "the")).toEqual([]);
    expect(keys(index, "the cat")).toEqual(["a"]);
  });
});

describe("typo tolerance", () => {
  const index = new SearchIndex();
  index.upsert(doc({ key: "db/replication", value: "PostgreSQL streaming replication with a hot standby" }));
  index.upsert(doc({ key: "db/backup", value: "nightly pg_dump to object storage" }));

  it("finds the entry despite typos in hybrid and fuzzy mode", () => {
    expect(keys(index, "postgress replicaton")[0]).toBe("db/replication");
    expect(keys(index, "postgress replicaton", "fuzzy")[0]).toBe("db/replication");
  });

  it("does not expand in fulltext mode", () => {
    expect(keys(index, "replicaton", "fulltext")).toEqual([]);
  });

  it("scores a typo match below an exact match", () => {
    const exact = index.search({ text: "replication", filter: filter(), limit: 1 }).hits[0]?.score ?? 0;
    const typo = index.search({ text: "replicaton", filter: filter(), limit: 1 }).hits[0]?.score ?? 0;
    expect(typo).toBeGreaterThan(0);
    expect(typo).toBeLessThan(exact);
  });

  it("does not expand well-known words in hybrid mode", () => {
    const i2 = new SearchIndex();
    for (let n = 0; n < 5; n++) i2.upsert(doc({ key: `s${n}`, value: "storage" }));
    i2.upsert(doc({ key: "t", value: "stowage" }));
    expect(keys(i2, "storage")).not.toContain("t");
    expect(keys(i2, "storage", "fuzzy")).toContain("t");
  });
});

describe("options", () => {
  it("rejects nonsense with a message naming the option", () => {
    expect(() => new SearchIndex({ b: 2 })).toThrow(/b must be between 0 and 1/);
    expect(() => new SearchIndex({ k1: -1 })).toThrow(/k1/);
    expect(() => new SearchIndex({ fieldWeights: { tags: Number.NaN } })).toThrow(/fieldWeights.tags/);
    expect(() => new SearchIndex({ fuzzy: { maxEdits: 1.5 } })).toThrow(/fuzzy.maxEdits/);
  });

  it("rejects bad requests", () => {
    const index = new SearchIndex();
    expect(() => index.search({ text: "x", filter: filter(), limit: 0 })).toThrow(/limit/);
    expect(() => index.search({ text: "x", mode: "exact" as "fuzzy", filter: filter(), limit: 1 })).toThrow(
      /mode/,
    );
  });

  it("field weights change the ranking", () => {
    const index = new SearchIndex({ fieldWeights: { key: 0, value: 5 } });
    index.upsert(doc({ key: "alpha", value: "beta" }));
    index.upsert(doc({ key: "beta", value: "gamma" }));
    expect(keys(index, "beta")).toEqual(["alpha"]);
  });
});

describe("fuzzy candidates", () => {
  const index = new SearchIndex();
  index.upsert(doc({ key: "pg", value: "postgres tuning" }));

  it.each([
    ["postgers", "swapped letters"],
    ["ostgres", "missing first letter"],
    ["bostgres", "wrong first letter"],
    ["ppostgres", "extra first letter"],
    ["postgrs", "missing inner letter"],
  ])("finds postgres from %s (%s)", (typo) => {
    expect(keys(index, typo)).toEqual(["pg"]);
  });

  it("does not find words more than two edits away", () => {
    expect(keys(index, "pxxtgrxs")).toEqual([]);
  });
});
