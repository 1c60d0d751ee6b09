/**
 * Bulk builds on real worker threads, which run the compiled worker script: the index they build
 * is the one a sequential build makes. (The system tier's set-up makes sure dist/ is fresh.)
 */
import { describe, expect, it } from "vitest";
import type { SearchIndex } from "../../src/search/api.js";
import { BUILD_QUERIES, buildDocs, filter } from "./helpers.js";

const dist = new URL("../../dist/src/search/api.js", import.meta.url);

describe("bulk build on worker threads", () => {
  it("equals a sequential build", async () => {
    const mod = (await import(dist.href)) as { SearchIndex: typeof SearchIndex };
    const input = buildDocs(3000);
    const sequential = await mod.SearchIndex.build(input);
    const parallel = await mod.SearchIndex.build(input, { parallel: true, workers: 2, chunkSize: 100 });
    expect(parallel.size).toBe(sequential.size);
    expect(parallel.termCount).toBe(sequential.termCount);
    for (const text of BUILD_QUERIES) {
      const req = { text, filter: filter(), limit: 50 };
      expect(parallel.search(req)).toEqual(sequential.search(req));
    }
  });
});
