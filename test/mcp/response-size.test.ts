/**
 * Answers stay under what MCP clients accept (the SDK client drops the connection over 10 MiB):
 * a page of large values ends early with a cursor that continues exactly after it.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Connected, connectServer, ok, removeProject, tempProject } from "../helpers.js";

let dir: string;
let s: Connected;
const BIG = 900 * 1024;
const COUNT = 14; // ~12.6 MB of values: more than one answer may carry

beforeAll(async () => {
  dir = tempProject();
  s = await connectServer(dir);
  for (let i = 0; i < COUNT; i++) {
    await ok(s.client, "memory_store", {
      key: `blob/${String(i).padStart(2, "0")}`,
      value: `large report ${i} ${"z".repeat(BIG)}`,
      namespace: "blobs",
    });
  }
}, 60_000);

afterAll(async () => {
  await s.close();
  removeProject(dir);
});

type Page = { results: Array<{ key: string }>; nextCursor?: string };

describe("response size", () => {
  it("pages large values across several answers without dropping the connection", async () => {
    const keys: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page: Page = await ok<Page>(s.client, "memory_query", {
        namespace: "blobs",
        keyPrefix: "blob/",
        limit: 100,
        ...(cursor ? { cursor } : {}),
      });
      expect(page.results.length).toBeGreaterThan(0);
      keys.push(...page.results.map((r) => r.key));
      cursor = page.nextCursor;
      pages++;
    } while (cursor);
    expect(pages).toBeGreaterThan(2);
    expect(keys).toEqual(Array.from({ length: COUNT }, (_, i) => `blob/${String(i).padStart(2, "0")}`));
  }, 60_000);

  it("ranked text search pages the same way", async () => {
    const keys = new Set<string>();
    let cursor: string | undefined;
    do {
      const page: Page = await ok<Page>(s.client, "memory_query", {
        query: "large report",
        limit: 100,
        ...(cursor ? { cursor } : {}),
      });
      for (const r of page.results) {
        expect(keys.has(r.key)).toBe(false);
        keys.add(r.key);
      }
      cursor = page.nextCursor;
    } while (cursor);
    expect(keys.size).toBe(COUNT);
  }, 60_000);

  it("parallel_query shares one budget, and each search's cursor continues in memory_query", async () => {
    const r = await ok<{
      results: Array<{ query: string; results: Array<{ key: string }>; nextCursor?: string }>;
    }>(s.client, "parallel_query", { queries: ["large report", "report"], namespaces: ["blobs"], limit: 20 });
    expect(r.results).toHaveLength(2);
    const first = r.results[0];
    expect(first?.nextCursor).toBeDefined();
    const seen = new Set(first?.results.map((x) => x.key));
    let cursor = first?.nextCursor;
    while (cursor) {
      const page: Page = await ok<Page>(s.client, "memory_query", {
        query: "large report",
        namespace: "blobs",
        limit: 20,
        cursor,
      });
      for (const x of page.results) seen.add(x.key);
      cursor = page.nextCursor;
    }
    expect(seen.size).toBe(COUNT);
  }, 60_000);
});
