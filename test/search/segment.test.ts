import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  decodeSegment,
  encodeSegment,
  type SearchDoc,
  SearchIndex,
  type SearchMode,
  SegmentError,
} from "../../src/search/api.js";
import { buildDocs, doc, filter } from "./helpers.js";

const VOCAB = ["alpha", "beta", "gamma", "replication", "replicated", "postgres", "authService", "cache"];
const QUERIES = ["alpha", "beta gamma", "replicate", "postgress replicaton", "auth service", "cachs", ""];
const MODES: SearchMode[] = ["fulltext", "fuzzy", "hybrid"];

function answers(index: SearchIndex) {
  return QUERIES.flatMap((text) =>
    MODES.map((mode) => index.search({ text, mode, filter: filter(), limit: 5 })),
  );
}

const roundTrip = (index: SearchIndex, meta: unknown = { built: "test" }) =>
  SearchIndex.fromState(decodeSegment(encodeSegment(meta, index.exportState())).state, { cacheSize: 0 });

const docArb = fc.record({
  namespace: fc.constantFrom("a", "b"),
  key: fc.constantFrom("k1", "k2", "k3", "k4", "k5"),
  words: fc.array(fc.constantFrom(...VOCAB), { maxLength: 6 }),
  tags: fc.array(fc.constantFrom("x", "y"), { maxLength: 2 }),
});
const opArb = fc.oneof(
  docArb.map((d) => ({ op: "upsert" as const, ...d })),
  fc.record({
    op: fc.constant("remove" as const),
    namespace: fc.constantFrom("a", "b"),
    key: fc.constantFrom("k1", "k2"),
  }),
);
type Op = typeof opArb extends fc.Arbitrary<infer T> ? T : never;

function apply(index: SearchIndex, ops: Op[]): void {
  for (const o of ops) {
    if (o.op === "remove") index.remove(o.namespace, o.key);
    else index.upsert(doc({ namespace: o.namespace, key: o.key, value: o.words.join(" "), tags: o.tags }));
  }
}

describe("index segment", () => {
  it("gives back the caller's meta as written", () => {
    const index = new SearchIndex();
    const meta = { base: "7:8120:1a2b3c4d", journal: { bytes: 12, crc: 99 } };
    expect(decodeSegment(encodeSegment(meta, index.exportState())).meta).toEqual(meta);
  });

  it("a restored index answers exactly like the one saved, and goes on changing exactly like it", () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 30 }), fc.array(opArb, { maxLength: 15 }), (before, after) => {
        const original = new SearchIndex({ cacheSize: 0 });
        apply(original, before);
        const restored = roundTrip(original);
        expect(restored.size).toBe(original.size);
        expect(restored.termCount).toBe(original.termCount);
        expect(answers(restored)).toEqual(answers(original));
        apply(original, after);
        apply(restored, after);
        expect(answers(restored)).toEqual(answers(original));
        for (const ns of ["a", "b"])
          for (const k of ["k1", "k2", "k3", "k4", "k5"])
            expect(restored.has(ns, k)).toBe(original.has(ns, k));
      }),
      { numRuns: 150 },
    );
  });

  it("a bulk-built index survives the round trip, then upserts and removals", async () => {
    const docs: SearchDoc[] = buildDocs(3000);
    const built = await SearchIndex.build(docs, { cacheSize: 0 });
    const restored = roundTrip(built);
    const queries = ["deploy cache", "auth server", "replicaton", "größe", "p99 rollback"];
    const all = (ix: SearchIndex) => queries.map((text) => ix.search({ text, filter: filter(), limit: 20 }));
    expect(all(restored)).toEqual(all(built));
    for (const ix of [built, restored]) {
      ix.remove("ns0", "entry-3");
      ix.upsert(
        doc({ namespace: "ns1", key: "entry-4", value: "deploy rollback replication", tags: ["t9"] }),
      );
    }
    expect(all(restored)).toEqual(all(built));
    expect(restored.search({ text: "", filter: filter({ tags: ["t9"] }), limit: 5 }).hits).toHaveLength(1);
  });

  it("refuses any damaged byte, a cut file and a file that is not a segment, with a SegmentError", () => {
    const index = new SearchIndex();
    for (const d of buildDocs(50)) index.upsert(d);
    const bytes = encodeSegment({}, index.exportState());
    for (const at of [0, 9, 13, 20, Math.floor(bytes.length / 2), bytes.length - 1]) {
      const bad = Buffer.from(bytes);
      bad[at] = (bad[at] as number) ^ 0x10;
      expect(() => decodeSegment(bad), `byte ${at}`).toThrow(SegmentError);
    }
    expect(() => decodeSegment(bytes.subarray(0, bytes.length - 8))).toThrow(SegmentError);
    expect(() => decodeSegment(Buffer.from('{"entries":[]}'))).toThrow(SegmentError);
    expect(() => decodeSegment(Buffer.alloc(0))).toThrow(SegmentError);
  });

  it("is refused by an index with other stop words or another text cap", () => {
    const state = decodeSegment(encodeSegment({}, new SearchIndex().exportState())).state;
    expect(() => SearchIndex.fromState(state, { stopWords: [] })).toThrow(/stop words/);
    expect(() => SearchIndex.fromState(state, { maxTextChars: 10 })).toThrow(/maxTextChars/);
  });
});
