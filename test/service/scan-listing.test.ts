/**
 * Listings (a namespace, a key prefix, filters only) are answered by a scan that keeps only the
 * best page of hits: paging one through with the cursor must still give every entry once, newest
 * first, in exactly the order a full sort gives.
 */
import { afterEach, describe, expect, it } from "vitest";
import { resolveConfig } from "../../src/config/config.js";
import { MemoryBank } from "../../src/service/bank.js";
import { tempProjects } from "../helpers.js";

const project = tempProjects();
let bank: MemoryBank | undefined;
afterEach(async () => {
  await bank?.close();
  bank = undefined;
});

async function pageAll(b: MemoryBank, input: Record<string, unknown>): Promise<string[]> {
  const keys: string[] = [];
  let cursor: string | undefined;
  do {
    const out = await b.query({ ...input, limit: 7, ...(cursor ? { cursor } : {}) });
    keys.push(...out.results.map((r) => r.key));
    cursor = out.nextCursor;
  } while (cursor);
  return keys;
}

describe("scan listings", () => {
  it("page a namespace newest first, ties by key, each entry once", async () => {
    bank = await MemoryBank.open(resolveConfig({}, project()), { log: () => {} });
    const base = bank.now() - 1_000_000;
    // 100 entries over 25 distinct times (4 share each), stored in no particular order.
    const entries = Array.from({ length: 100 }, (_, i) => {
      const at = new Date(base + ((i * 37) % 25) * 1000).toISOString();
      return {
        key: `k${String((i * 61) % 100).padStart(3, "0")}`,
        value: i,
        namespace: "n",
        createdAt: at,
        updatedAt: at,
      };
    });
    await bank.batchStore({ entries } as never, {}, { preserve: true });
    const expected = [...entries]
      .sort((a, b) =>
        a.updatedAt === b.updatedAt ? (a.key < b.key ? -1 : 1) : a.updatedAt < b.updatedAt ? 1 : -1,
      )
      .map((e) => e.key);
    expect(await pageAll(bank, { namespace: "n" })).toEqual(expected);
    const prefixed = expected.filter((k) => k.startsWith("k01")).sort();
    expect(await pageAll(bank, { namespace: "n", keyPrefix: "k01" })).toEqual(prefixed);
  });
});
