import { describe, expect, it } from "vitest";
import { SearchIndex } from "../../src/search/api.js";
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

describe("query words", () => {
  it("a rare word said once in a long entry outweighs a commoner word said three times in a short one", () => {
    const index = new SearchIndex();
    index.upsert(doc({ key: "a", value: "words: the words that are spoken, words said aloud" }));
    index.upsert(
      doc({
        key: "b",
        value: "dowdy, pandowdy: a deep-dish apple dessert covered with a rich crust, served warm with cream",
      }),
    );
    // "word" is in 9 of 42 entries, "pandowdy" in one.
    for (let n = 0; n < 40; n++)
      index.upsert(
        doc({ key: `filler-${n}`, value: n < 8 ? `one word about topic ${n}` : `something else, ${n}` }),
      );
    expect(keys(index, "explain the word pandowdy")[0]).toBe("b");
  });

  it("question words count for little next to the words about the subject", () => {
    const index = new SearchIndex();
    index.upsert(doc({ key: "chat/1", value: "when did we last meet? we did not, did we" }));
    index.upsert(doc({ key: "log/1", value: "a fix for the crash" }));
    for (let n = 0; n < 10; n++) index.upsert(doc({ key: `other/${n}`, value: `fix number ${n}` }));
    expect(keys(index, "when did we fix the crash")[0]).toBe("log/1");
  });

  it("a query made only of question words still finds them", () => {
    const index = new SearchIndex();
    index.upsert(doc({ key: "turn/1", value: "what did you mean?" }));
    index.upsert(doc({ key: "turn/2", value: "nothing to see" }));
    expect(keys(index, "what did you")).toEqual(["turn/1"]);
  });

  it("a one-letter name is a word: C finds the C language", () => {
    const index = new SearchIndex();
    index.upsert(doc({ key: "lang/c", value: "C: a systems programming language" }));
    index.upsert(doc({ key: "lang/go", value: "Go: a systems programming language" }));
    expect(keys(index, "what is C")).toEqual(["lang/c"]);
    // The "s" of "it's" is no word.
    index.upsert(doc({ key: "note", value: "it's fine" }));
    expect(keys(index, "s")).toEqual([]);
  });

  it("a misspelled word the index lacks counts nearly as much as the word itself", () => {
    const index = new SearchIndex();
    index.upsert(doc({ key: "db/replication", value: "replication lag alerts" }));
    for (let n = 0; n < 6; n++)
      index.upsert(doc({ key: `ops/${n}`, value: `weekly alerts digest ${n}, alerts` }));
    // "replicaton" is not in the index: its correction, the rarer word, decides the ranking.
    expect(keys(index, "replicaton alerts")[0]).toBe("db/replication");
    const exact = index.search({ text: "replication", filter: filter(), limit: 1 }).hits[0]?.score ?? 0;
    const typo = index.search({ text: "replicaton", filter: filter(), limit: 1 }).hits[0]?.score ?? 0;
    expect(typo).toBeGreaterThan(0.7 * exact);
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
    expect(() => new SearchIndex({ fuzzy: { typoWeight: 2 } })).toThrow(
      /fuzzy.typoWeight must be between 0 and 1/,
    );
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
