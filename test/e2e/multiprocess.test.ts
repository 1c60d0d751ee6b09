/**
 * Several server processes share one store: 4 processes x 150 concurrent stores lose nothing, and
 * each process sees every other process's acknowledged writes before its next answer.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Connected, connect, ok, removeProject, tempProject } from "../helpers.js";

const PROCESSES = 4;
const STORES = 150;
let dir: string;
let servers: Connected[];

beforeAll(async () => {
  dir = tempProject();
  servers = await Promise.all(Array.from({ length: PROCESSES }, () => connect(dir)));
});

afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
  removeProject(dir);
});

describe("several processes on one store", () => {
  it(`${PROCESSES} processes x ${STORES} concurrent stores: every acknowledged write is there`, async () => {
    const acked = await Promise.all(
      servers.map((s, p) =>
        Promise.all(
          Array.from({ length: STORES }, (_, i) =>
            ok<{ entry: { key: string } }>(s.client, "memory_store", {
              key: `p${p}/k${i}`,
              value: { p, i },
              namespace: "shared",
            }).then((r) => r.entry.key),
          ),
        ),
      ),
    );
    expect(acked.flat()).toHaveLength(PROCESSES * STORES);

    // Every process sees all the others' writes, immediately.
    for (const s of servers) {
      const seen = new Set<string>();
      let cursor: string | undefined;
      do {
        const page = await ok<{ results: Array<{ key: string }>; nextCursor?: string }>(
          s.client,
          "memory_query",
          {
            namespace: "shared",
            keyPrefix: "p",
            limit: 1000,
            ...(cursor ? { cursor } : {}),
          },
        );
        for (const r of page.results) seen.add(r.key);
        cursor = page.nextCursor;
      } while (cursor);
      expect(seen.size).toBe(PROCESSES * STORES);
    }
  });

  it("a write in one process is visible to the next query of another, with versions in order", async () => {
    const [a, b] = servers as [Connected, Connected];
    await ok(a.client, "memory_store", { key: "handoff", value: "from a" });
    const seen = await ok<{ results: Array<{ value: unknown; version: number }> }>(b.client, "memory_query", {
      key: "handoff",
    });
    expect(seen.results[0]?.value).toBe("from a");
    const v = seen.results[0]?.version ?? 0;
    await ok(b.client, "memory_store", { key: "handoff", value: "from b", ifVersion: v });
    const back = await ok<{ results: Array<{ value: unknown; version: number }> }>(a.client, "memory_query", {
      key: "handoff",
    });
    expect(back.results[0]).toMatchObject({ value: "from b", version: v + 1 });
  });

  it("ifVersion races between processes: exactly one writer wins each round", async () => {
    await ok(servers[0]?.client as Connected["client"], "memory_store", { key: "counter", value: 0 });
    let version = 1;
    for (let round = 0; round < 5; round++) {
      const results = await Promise.all(
        servers.map((s, p) =>
          s.client.callTool({
            name: "memory_store",
            arguments: { key: "counter", value: p, ifVersion: version },
          }),
        ),
      );
      expect(results.filter((r) => !r.isError)).toHaveLength(1);
      version++;
    }
  });
});
