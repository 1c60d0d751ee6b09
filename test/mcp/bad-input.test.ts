/**
 * Every bad input gets an isError result whose message names the field and the fix; the server
 * goes on serving and nothing stored before is lost.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Connected, call, connectServer, ok, removeProject, tempProject, textOf } from "../helpers.js";

let dir: string;
let s: Connected;

beforeAll(async () => {
  dir = tempProject();
  s = await connectServer(dir);
  await ok(s.client, "memory_store", { key: "keep-me", value: "precious" });
});

afterAll(async () => {
  await s.close();
  removeProject(dir);
});

const cases: Array<[string, string, Record<string, unknown>, RegExp]> = [
  ["missing key", "memory_store", { value: 1 }, /key must be a string/],
  ["ill-typed key", "memory_store", { key: 42, value: 1 }, /key must be a string/],
  ["empty key", "memory_store", { key: "", value: 1 }, /key is empty/],
  ["missing value", "memory_store", { key: "k" }, /value is required/],
  [
    "namespace escaping the store",
    "memory_store",
    { key: "k", value: 1, namespace: "../x" },
    /namespace '\.\.\/x' is invalid: use letters, digits, '-', '_', '\.'/,
  ],
  [
    "unknown type",
    "memory_store",
    { key: "k", value: 1, type: "dream" },
    /type 'dream' is not one of: episodic/,
  ],
  ["bad ttl", "memory_store", { key: "k", value: 1, ttl: "later" }, /ttl 'later' is invalid/],
  ["negative ttl", "memory_store", { key: "k", value: 1, ttl: -5 }, /ttl '-5' is invalid/],
  [
    "ttl past any date",
    "memory_store",
    { key: "k", value: 1, ttl: "99999999999d" },
    /ttl '99999999999d' is too long: the longest ttl is 1000y \(31536000000 seconds\)/,
  ],
  [
    "ttl in seconds past any date",
    "memory_store",
    { key: "k", value: 1, ttl: 1e13 },
    /ttl '10000000000000' is too long: the longest ttl is 1000y/,
  ],
  [
    "key over the configured limit",
    "memory_store",
    { key: "k".repeat(300), value: 1 },
    /key is longer than 256 characters, the limit of memory\.limits\.maxKeyLength: use a shorter key/,
  ],
  ["ttl of no seconds", "memory_store", { key: "k", value: 1, ttl: "0" }, /ttl '0' is invalid/],
  ["tags not an array", "memory_store", { key: "k", value: 1, tags: "a,b" }, /tags must be an array/],
  [
    "ifVersion not an integer",
    "memory_store",
    { key: "k", value: 1, ifVersion: 1.5 },
    /ifVersion must be an integer/,
  ],
  ["limit out of range", "memory_query", { query: "x", limit: 5000 }, /limit must be at most 1000/],
  ["unknown mode", "memory_query", { query: "x", mode: "psychic" }, /mode 'psychic' is not one of/],
  ["bad since", "memory_query", { since: "yesterday" }, /'yesterday' is not a date/],
  ["forged cursor", "memory_query", { query: "x", cursor: "bm90IGEgY3Vyc29y" }, /cursor is not valid/],
  ["semantic without provider", "memory_query", { query: "x", mode: "semantic" }, /memory\.embeddings/],
  ["empty batch", "batch_store", { entries: [] }, /entries is empty/],
  ["batch not an array", "batch_store", { entries: { key: "a" } }, /entries must be an array/],
  [
    "unknown onConflict",
    "batch_store",
    { entries: [{ key: "a", value: 1 }], onConflict: "merge" },
    /onConflict 'merge' is not one of: overwrite, skip, error/,
  ],
  ["no queries", "parallel_query", { queries: [] }, /queries is empty/],
  ["too many queries", "parallel_query", { queries: Array(101).fill("x") }, /more than 100/],
  ["unknown export format", "export", { format: "xml" }, /format 'xml' is not one of: json, jsonl/],
  ["export outside the project", "export", { path: "../outside.json" }, /outside the project directory/],
  [
    "export to an absolute path elsewhere",
    "export",
    { path: "/tmp/evil.json" },
    /outside the project directory/,
  ],
];

describe("bad input", () => {
  for (const [name, tool, args, message] of cases) {
    it(`${tool}: ${name}`, async () => {
      const r = await call(s.client, tool, args);
      expect(r.isError, JSON.stringify(r)).toBe(true);
      expect(textOf(r)).toMatch(message);
    });
  }

  it("a 20 MB value is refused with the limit named, and the connection survives", async () => {
    const r = await call(s.client, "memory_store", { key: "huge", value: "x".repeat(20 * 1024 * 1024) });
    expect(r.isError).toBe(true);
    expect(textOf(r)).toMatch(/value is \d+ bytes; the limit is 1048576 \(memory\.limits\.maxValueBytes\)/);
  });

  it("an oversized batch is refused as a whole", async () => {
    const entries = Array.from({ length: 100_001 }, (_, i) => ({ key: `k${i}`, value: i }));
    const r = await call(s.client, "batch_store", { entries });
    expect(r.isError).toBe(true);
    expect(textOf(r)).toMatch(/more than 100000 items: split the batch/);
  });

  it("one out-of-range ttl in a batch is that entry's error; the valid entries of its chunk are stored", async () => {
    const out = await ok<{ stored: number; errors: Array<{ index: number; key?: string; message: string }> }>(
      s.client,
      "batch_store",
      {
        namespace: "ttl-batch",
        entries: [
          { key: "a", value: 1 },
          { key: "b", value: 2, ttl: "99999999999d" },
          { key: "c", value: 3, ttl: 1e13 },
          { key: "d", value: 4, ttl: "1000y" },
        ],
      },
    );
    expect(out.stored).toBe(2);
    expect(out.errors.map((e) => [e.index, e.key])).toEqual([
      [1, "b"],
      [2, "c"],
    ]);
    expect(out.errors[0]?.message).toMatch(/entries\[1\]: ttl '99999999999d' is too long/);
    for (const key of ["a", "d"]) await ok(s.client, "memory_delete", { namespace: "ttl-batch", key });
  });

  it("a ttl given as a string of digits is that many seconds, as the CLI's --ttl 2 passes it", async () => {
    const before = Date.now();
    const r = await ok<{ entry: { expiresAt: string } }>(s.client, "memory_store", {
      key: "short-lived",
      value: 1,
      ttl: "120",
    });
    const ms = Date.parse(r.entry.expiresAt) - before;
    expect(ms).toBeGreaterThan(100_000);
    expect(ms).toBeLessThan(140_000);
    await ok(s.client, "memory_delete", { key: "short-lived" });
  });

  it("the key the tools advertise is the key the project accepts (memory.limits.maxKeyLength)", async () => {
    const { tools } = await s.client.listTools();
    const maxLength = (tool: string) =>
      (tools.find((t) => t.name === tool)?.inputSchema.properties?.key as { maxLength?: number } | undefined)
        ?.maxLength;
    for (const tool of ["memory_store", "memory_get", "memory_delete", "memory_query"])
      expect(maxLength(tool), tool).toBe(256);
    const short = tempProject({ memory: { limits: { maxKeyLength: 100 } } });
    const other = await connectServer(short);
    try {
      const listed = await other.client.listTools();
      const key = listed.tools.find((t) => t.name === "memory_store")?.inputSchema.properties?.key as {
        maxLength?: number;
        description?: string;
      };
      expect(key.maxLength).toBe(100);
      expect(key.description).toMatch(/unique within its namespace/);
      const r = await call(other.client, "memory_store", { key: "k".repeat(101), value: 1 });
      expect(textOf(r)).toMatch(/key is longer than 100 characters/);
    } finally {
      await other.close();
      removeProject(short);
    }
  });

  it("after all of that the server still serves and nothing was lost", async () => {
    const q = await ok<{ results: Array<{ value: unknown }> }>(s.client, "memory_query", { key: "keep-me" });
    expect(q.results[0]?.value).toBe("precious");
    const listed = await ok<{ results: Array<{ key: string }> }>(s.client, "memory_query", { limit: 100 });
    expect(listed.results.map((r) => r.key)).toEqual(["keep-me"]);
  });
});
