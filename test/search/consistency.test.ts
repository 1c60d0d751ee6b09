import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type SearchDoc, SearchIndex, type SearchMode } from "../../src/search/api.js";
import { doc, filter } from "./helpers.js";

const VOCAB = [
  "alpha",
  "beta",
  "gamma",
  "delta",
  "replication",
  "replicated",
  "postgres",
  "authService",
  "cache",
  "caches",
];
const QUERIES = [
  "alpha",
  "beta gamma",
  "replicate",
  "postgress replicaton",
  "auth service",
  "cachs",
  "delta alpha beta",
];
const MODES: SearchMode[] = ["fulltext", "fuzzy", "hybrid"];

const docArb = fc.record({
  namespace: fc.constantFrom("a", "b"),
  key: fc.constantFrom("k1", "k2", "k3", "k4", "k5", "k6"),
  words: fc.array(fc.constantFrom(...VOCAB), { minLength: 0, maxLength: 6 }),
  tags: fc.array(fc.constantFrom("x", "y", "alpha"), { maxLength: 2 }),
});
const opArb = fc.oneof(
  docArb.map((d) => ({ op: "upsert" as const, ...d })),
  fc.record({
    op: fc.constant("remove" as const),
    namespace: fc.constantFrom("a", "b"),
    key: fc.constantFrom("k1", "k2", "k3"),
  }),
);

function answers(index: SearchIndex) {
  return QUERIES.flatMap((text) =>
    MODES.map((mode) => index.search({ text, mode, filter: filter(), limit: 4 })),
  );
}

describe("incremental updates", () => {
  it("after random upserts and removes, answer exactly like a freshly built index", () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 40 }), (ops) => {
        const live = new Map<string, SearchDoc>();
        const incremental = new SearchIndex({ cacheSize: 0 });
        for (const o of ops) {
          if (o.op === "remove") {
            incremental.remove(o.namespace, o.key);
            live.delete(`${o.namespace}/${o.key}`);
          } else {
            const d = doc({ namespace: o.namespace, key: o.key, value: o.words.join(" "), tags: o.tags });
            incremental.upsert(d);
            live.delete(`${o.namespace}/${o.key}`);
            live.set(`${o.namespace}/${o.key}`, d);
          }
        }
        const fresh = new SearchIndex({ cacheSize: 0 });
        for (const d of live.values()) fresh.upsert(d);
        expect(incremental.size).toBe(fresh.size);
        expect(incremental.termCount).toBe(fresh.termCount);
        expect(answers(incremental)).toEqual(answers(fresh));
      }),
      { numRuns: 200 },
    );
  });

  it("stay consistent when stemming is not idempotent (cease → ceas → cea)", () => {
    const words = ["cease", "ceas", "cea", "decisiveness", "decis", "deci", "alpha"];
    const texts = ["cease ceas", "decis", "cea alpha", "deci cease", "ceas", "decisiveness alpha", "cea"];
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 5 }), fc.integer({ min: -1, max: texts.length - 1 })), {
          maxLength: 30,
        }),
        (ops) => {
          const live = new Map<string, SearchDoc>();
          const incremental = new SearchIndex({ cacheSize: 0 });
          for (const [k, t] of ops) {
            if (t < 0) {
              incremental.remove("default", `k${k}`);
              live.delete(`k${k}`);
            } else {
              const d = doc({ key: `k${k}`, value: texts[t] as string });
              incremental.upsert(d);
              live.delete(`k${k}`);
              live.set(`k${k}`, d);
            }
          }
          const fresh = new SearchIndex({ cacheSize: 0 });
          for (const d of live.values()) fresh.upsert(d);
          const ask = (index: SearchIndex) =>
            words.flatMap((text) =>
              MODES.map((mode) => index.search({ text, mode, filter: filter(), limit: 10 })),
            );
          expect(incremental.termCount).toBe(fresh.termCount);
          expect(ask(incremental)).toEqual(ask(fresh));
        },
      ),
      { numRuns: 300 },
    );
  });

  it("stay consistent through compaction of removed documents", () => {
    const index = new SearchIndex({ cacheSize: 0 });
    for (let round = 0; round < 4; round++) {
      for (let i = 0; i < 1500; i++)
        index.upsert(doc({ key: `k${i}`, value: `${VOCAB[(i + round) % VOCAB.length]} round${round}` }));
    }
    const fresh = new SearchIndex({ cacheSize: 0 });
    for (let i = 0; i < 1500; i++)
      fresh.upsert(doc({ key: `k${i}`, value: `${VOCAB[(i + 3) % VOCAB.length]} round3` }));
    expect(index.size).toBe(1500);
    expect(answers(index)).toEqual(answers(fresh));
  });

  it("pruned top-k equals the exhaustive answer", () => {
    const index = new SearchIndex({ cacheSize: 0 });
    const words = ["w0", "w1", "w2", "w3", "w4", "w5", "w6", "w7"].map((w) => `${w}x`);
    for (let i = 0; i < 3000; i++) {
      // Skewed frequencies: w0x is in almost every doc, w7x in few.
      const text = words.filter((_, j) => (i * 2654435761) % (j * j + 2) === 0 || j === 0).join(" ");
      index.upsert(doc({ namespace: `n${i % 4}`, key: `k${i}`, value: `${text} filler${i % 50}` }));
    }
    for (const text of ["w0x w7x", "w1x w2x w3x", "w0x", "w5x w6x w0x filler3"]) {
      for (const limit of [1, 5, 20]) {
        const req = { text, filter: filter(), limit };
        expect(index.search(req)).toMatchObject(index.searchExhaustive(req));
      }
    }
  });
});
