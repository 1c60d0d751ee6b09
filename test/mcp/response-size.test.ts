/**
 * Answers a model can read: memory_query and parallel_query stay within a token budget (8000 by
 * default, tokens approximated as UTF-8 bytes / 3), send long values as previews with the URI
 * that reads them whole, and say what they left out; a cut page's cursor continues exactly after
 * it. Under any budget an answer also stays far below what MCP clients accept (the SDK client
 * drops the connection over 10 MiB).
 */
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Connected, call, connectServer, ok, removeProject, tempProject } from "../helpers.js";

let dir: string;
let s: Connected;
const BIG = 900 * 1024;
const COUNT = 14; // ~12.6 MB of values: more than one answer could carry whole

type Result = { key: string; value: unknown; preview?: true; valueTokens?: number; uri?: string };
type Page = {
  results: Result[];
  nextCursor?: string;
  tokens: number;
  omitted?: { results: number; previews: number; note: string };
};

/** What the answer weighs on the wire, both halves (text content and structuredContent). */
const tokensOf = (r: CallToolResult) => Math.ceil(Buffer.byteLength(JSON.stringify(r)) / 3);

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
  await ok(s.client, "batch_store", {
    entries: Array.from({ length: 600 }, (_, i) => ({
      key: `note/${String(i).padStart(3, "0")}`,
      value: `meeting note ${i}: the team agreed to keep the release train weekly and to review flaky tests on fridays`,
      namespace: "notes",
    })),
  });
});

afterAll(async () => {
  await s.close();
  removeProject(dir);
});

describe("answers within a token budget", () => {
  it("sends long values as previews with their URI, a resource_link, and says so", async () => {
    const r = await call(s.client, "memory_query", { namespace: "blobs", keyPrefix: "blob/", limit: 100 });
    const page = r.structuredContent as Page;
    expect(page.results).toHaveLength(COUNT);
    for (const x of page.results) {
      expect(x.preview).toBe(true);
      expect(String(x.value).length).toBeLessThan(1000);
      expect(x.valueTokens).toBeGreaterThan(BIG / 3);
      expect(x.uri).toBe(`memory://blobs/${encodeURIComponent(x.key)}`);
    }
    expect(page.omitted?.previews).toBe(COUNT);
    expect(page.omitted?.note).toMatch(/memory_get or resources\/read/);
    const links = r.content.filter((c) => c.type === "resource_link");
    expect(links).toHaveLength(COUNT);
    expect(tokensOf(r)).toBeLessThanOrEqual(8000);
    // The whole value is one read away.
    const whole = await s.client.readResource({ uri: page.results[0]?.uri as string });
    expect(String(whole.contents[0]?.text).length).toBeGreaterThan(BIG);
    const got = await ok<{ entry: { value: string } }>(s.client, "memory_get", {
      key: "blob/00",
      namespace: "blobs",
    });
    expect(got.entry.value.length).toBeGreaterThan(BIG);
  });

  it("cuts a limit:1000 page at the default budget, says how many it left, and the cursor continues exactly", async () => {
    const keys: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const r = await call(s.client, "memory_query", {
        namespace: "notes",
        limit: 1000,
        ...(cursor ? { cursor } : {}),
      });
      const page = r.structuredContent as Page;
      expect(tokensOf(r)).toBeLessThanOrEqual(8000);
      expect(page.tokens).toBeLessThanOrEqual(8000);
      if (page.nextCursor) {
        expect(page.omitted?.results).toBe(600 - keys.length - page.results.length);
        expect(page.omitted?.note).toMatch(/did not fit in 8000 tokens: pass nextCursor/);
      }
      keys.push(...page.results.map((x) => x.key));
      cursor = page.nextCursor;
      pages++;
    } while (cursor);
    expect(pages).toBeGreaterThan(2);
    expect(new Set(keys).size).toBe(keys.length);
    expect(keys.sort()).toEqual(Array.from({ length: 600 }, (_, i) => `note/${String(i).padStart(3, "0")}`));
  });

  it("takes a larger budget when asked, and refuses one below 200 naming the field", async () => {
    const big = await ok<Page>(s.client, "memory_query", {
      namespace: "notes",
      limit: 1000,
      maxTokens: 200_000,
    });
    expect(big.results).toHaveLength(600);
    expect(big.omitted).toBeUndefined();
    const r = await call(s.client, "memory_query", { query: "note", maxTokens: 10 });
    expect(r.isError).toBe(true);
    expect(JSON.stringify(r.content)).toMatch(/maxTokens must be at least 200/);
  });

  it("ranked text search pages within the budget the same way", async () => {
    const keys = new Set<string>();
    let cursor: string | undefined;
    do {
      const page: Page = await ok<Page>(s.client, "memory_query", {
        query: "release train",
        limit: 1000,
        ...(cursor ? { cursor } : {}),
      });
      for (const r of page.results) {
        expect(keys.has(r.key)).toBe(false);
        keys.add(r.key);
      }
      cursor = page.nextCursor;
    } while (cursor);
    expect(keys.size).toBe(600);
  });

  it("parallel_query shares one budget, and each search's cursor continues in memory_query", async () => {
    const r = await call(s.client, "parallel_query", {
      queries: ["meeting note", "release"],
      namespaces: ["notes"],
      limit: 1000,
    });
    expect(tokensOf(r)).toBeLessThanOrEqual(8000 + 200);
    const out = r.structuredContent as { results: Array<Page & { query: string }> };
    expect(out.results).toHaveLength(2);
    const first = out.results[0];
    expect(first?.nextCursor).toBeDefined();
    expect(first?.omitted?.results).toBeGreaterThan(0);
    const seen = new Set(first?.results.map((x) => x.key));
    let cursor = first?.nextCursor;
    while (cursor) {
      const page: Page = await ok<Page>(s.client, "memory_query", {
        query: "meeting note",
        namespace: "notes",
        limit: 1000,
        cursor,
      });
      for (const x of page.results) seen.add(x.key);
      cursor = page.nextCursor;
    }
    expect(seen.size).toBe(600);
  });
});
