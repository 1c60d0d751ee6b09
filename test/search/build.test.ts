import { describe, expect, it } from "vitest";
import { Analyzer, DEFAULT_STOP_WORDS } from "../../src/search/analyzer.js";
import { SearchIndex, stem } from "../../src/search/api.js";
import { ChunkAnalyzer } from "../../src/search/build.js";
import { buildDocs as docs, filter, BUILD_QUERIES as QUERIES } from "./helpers.js";

describe("bulk build", () => {
  it("worker chunk analysis (worker-local ids, words sent once) equals in-thread analysis", () => {
    const index = new SearchIndex();
    const texts = docs(120).map((d) => index.fieldTexts(d));
    const worker = new ChunkAnalyzer(DEFAULT_STOP_WORDS);
    const names: string[] = [];
    const wordTerms: number[] = [];
    const seen: { surfaces: string[]; terms: [string, number][]; lengths: number[] }[] = [];
    for (const [id, chunk] of [texts.slice(0, 50), texts.slice(50)].entries()) {
      const reply = worker.analyze({ id, texts: chunk.flat() });
      if (reply.newWords !== "") names.push(...reply.newWords.split("\n"));
      wordTerms.push(...reply.newWordTerms);
      expect(names.length).toBe(wordTerms.length);
      for (let i = 0; i < chunk.length; i++) {
        const s = [...reply.surfaces.subarray(reply.surfaceStart[i], reply.surfaceStart[i + 1])];
        const p0 = reply.pairStart[i] as number;
        const p1 = reply.pairStart[i + 1] as number;
        seen.push({
          surfaces: s.map((x) => names[x] as string),
          terms: [...reply.terms.subarray(p0, p1)].map((t, k) => [
            names[t] as string,
            reply.tfs[p0 + k] as number,
          ]),
          lengths: [...reply.lengths.subarray(3 * i, 3 * i + 3)],
        });
        // A word sent as a token carries its term (its stem) when the worker knows it.
        for (const x of s) {
          const t = wordTerms[x] as number;
          if (t >= 0) expect(names[t]).toBe(stem(names[x] as string));
        }
      }
    }
    const local = new Analyzer(DEFAULT_STOP_WORDS);
    const expected = texts.map((t) => {
      local.analyze(t);
      return {
        surfaces: [...local.docSurfaces.subarray(0, local.surfaceCount)].map(
          (x) => local.words.names[x] as string,
        ),
        terms: [...local.docTerms.subarray(0, local.termCount)].map(
          (t, k) => [local.words.names[t] as string, local.docTfs[k] as number] as [string, number],
        ),
        lengths: [...local.lengths],
      };
    });
    expect(seen).toEqual(expected);
  });

  it("sequential bulk build equals upserting one by one, duplicates included", async () => {
    const input = docs(3000);
    const built = await SearchIndex.build(input, { chunkSize: 128 });
    const upserted = new SearchIndex();
    for (const d of input) upserted.upsert(d);
    expect(built.size).toBe(upserted.size);
    expect(built.termCount).toBe(upserted.termCount);
    for (const text of QUERIES) {
      for (const mode of ["fulltext", "fuzzy", "hybrid"] as const) {
        const req = { text, mode, filter: filter(), limit: 30 };
        expect(built.search(req)).toEqual(upserted.search(req));
      }
    }
  });

  it("parallel: true gives the same index as a sequential build", async () => {
    const input = docs(1000);
    const sequential = await SearchIndex.build(input);
    const parallel = await SearchIndex.build(input, { parallel: true, workers: 2, chunkSize: 64 });
    expect(parallel.size).toBe(sequential.size);
    expect(parallel.termCount).toBe(sequential.termCount);
    for (const text of QUERIES) {
      const req = { text, filter: filter(), limit: 20 };
      expect(parallel.search(req)).toEqual(sequential.search(req));
    }
  });
});
