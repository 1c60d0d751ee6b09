import { describe, expect, it } from "vitest";
import { QueryCache, SearchIndex } from "../../src/search/api.js";
import { doc, filter, NOW } from "./helpers.js";

describe("QueryCache", () => {
  it("hits on the same generation", () => {
    const cache = new QueryCache<number>(10);
    cache.set("q", 1, 42);
    expect(cache.get("q", 1)).toBe(42);
    expect(cache.stats).toEqual({ hits: 1, misses: 0, size: 1 });
  });

  it("misses on a new generation and drops the stale entry", () => {
    const cache = new QueryCache<number>(10);
    cache.set("q", 1, 42);
    expect(cache.get("q", 2)).toBeUndefined();
    expect(cache.stats).toEqual({ hits: 0, misses: 1, size: 0 });
  });

  it("evicts the least recently used entry at capacity", () => {
    const cache = new QueryCache<string>(2);
    cache.set("a", 0, "A");
    cache.set("b", 0, "B");
    cache.get("a", 0); // a is now more recent than b
    cache.set("c", 0, "C");
    expect(cache.get("b", 0)).toBeUndefined();
    expect(cache.get("a", 0)).toBe("A");
    expect(cache.get("c", 0)).toBe("C");
    expect(cache.stats.size).toBe(2);
  });

  it("with capacity 0 keeps nothing", () => {
    const cache = new QueryCache<string>(0);
    cache.set("a", 0, "A");
    expect(cache.get("a", 0)).toBeUndefined();
  });
});

describe("SearchIndex result cache", () => {
  it("answers a repeated query from the cache until a write", () => {
    const index = new SearchIndex({ cacheSize: 10 });
    index.upsert(doc({ key: "a", value: "alpha" }));
    const first = index.search({ text: "alpha", filter: filter(), limit: 5 });
    const again = index.search({ text: "alpha", filter: filter(), limit: 5 });
    expect(again).toEqual(first);
    expect(index.cacheStats.hits).toBe(1);

    index.upsert(doc({ key: "b", value: "alpha" }));
    const after = index.search({ text: "alpha", filter: filter(), limit: 5 });
    expect(after.hits.map((h) => h.key).sort()).toEqual(["a", "b"]);
    expect(index.cacheStats.hits).toBe(1);
  });

  it("reuses a result across clock ticks, but not past an expiry", () => {
    const index = new SearchIndex({ cacheSize: 10 });
    index.upsert(doc({ key: "a", value: "alpha", expiresAt: NOW + 1000 }));
    index.upsert(doc({ key: "b", value: "alpha" }));
    index.search({ text: "alpha", filter: { now: NOW }, limit: 5 });
    expect(index.search({ text: "alpha", filter: { now: NOW + 500 }, limit: 5 }).hits).toHaveLength(2);
    expect(index.cacheStats.hits).toBe(1);
    expect(
      index.search({ text: "alpha", filter: { now: NOW + 1000 }, limit: 5 }).hits.map((h) => h.key),
    ).toEqual(["b"]);
    expect(index.cacheStats.hits).toBe(1);
  });

  it("returns copies a caller cannot use to corrupt the cache", () => {
    const index = new SearchIndex({ cacheSize: 10 });
    index.upsert(doc({ key: "a", value: "alpha" }));
    const first = index.search({ text: "alpha", filter: filter(), limit: 5 });
    first.hits.pop();
    expect(index.search({ text: "alpha", filter: filter(), limit: 5 }).hits).toHaveLength(1);
  });
});
