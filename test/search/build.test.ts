import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { analyzeChunk, analyzeFields, DEFAULT_STOP_WORDS, decodeChunk } from "../../src/search/analyze.js";
import { type SearchDoc, SearchIndex } from "../../src/search/index.js";
import { doc, filter } from "./helpers.js";

function docs(n: number): SearchDoc[] {
  const words = ["deploy", "rollback", "authService", "HTTPServer", "replication", "größe", "cache", "p99"];
  return Array.from({ length: n }, (_, i) =>
    doc({
      namespace: `ns${i % 3}`,
      key: `entry-${i % 400}`, // duplicates: later ones replace earlier ones
      value: {
        text: Array.from({ length: 5 + (i % 9) }, (_, j) => words[(i + j * j) % words.length]).join(" "),
        i,
      },
      tags: [`t${i % 5}`],
    }),
  );
}

const QUERIES = ["deploy cache", "auth server", "replicaton", "größe", "p99 rollback"];

describe("bulk build", () => {
  it("worker chunk analysis equals in-thread analysis", () => {
    const index = new SearchIndex();
    const texts = docs(50).map((d) => index.fieldTexts(d));
    const stop = new Set(DEFAULT_STOP_WORDS);
    expect(decodeChunk(analyzeChunk(texts, DEFAULT_STOP_WORDS))).toEqual(
      texts.map((t) => analyzeFields(t, stop)),
    );
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

  // Worker threads need the compiled script: run the same check against dist/ when it is built.
  const dist = new URL("../../dist/src/search/index.js", import.meta.url);
  it.runIf(existsSync(dist))(
    "parallel build on worker threads (compiled dist) equals sequential",
    async () => {
      const mod = (await import(dist.href)) as { SearchIndex: typeof SearchIndex };
      const input = docs(3000);
      const sequential = await mod.SearchIndex.build(input);
      const parallel = await mod.SearchIndex.build(input, { parallel: true, workers: 2, chunkSize: 100 });
      expect(parallel.size).toBe(sequential.size);
      expect(parallel.termCount).toBe(sequential.termCount);
      for (const text of QUERIES) {
        const req = { text, filter: filter(), limit: 50 };
        expect(parallel.search(req)).toEqual(sequential.search(req));
      }
    },
  );
});
