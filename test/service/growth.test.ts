/** growth: live entries per namespace over time, counted by when they were created. */
import { afterEach, describe, expect, it } from "vitest";
import { resolveConfig } from "../../src/config/config.js";
import { MemoryBank } from "../../src/service/bank.js";
import { growthOperation } from "../../src/service/operations/growth.js";
import { tempProjects } from "../helpers.js";

const project = tempProjects();
let bank: MemoryBank | undefined;
afterEach(async () => {
  await bank?.close();
  bank = undefined;
});

describe("growth", () => {
  it("counts each namespace's live entries up to the end of every interval, ending at today's counts", async () => {
    bank = await MemoryBank.open(resolveConfig({}, project()), { log: () => {} });
    const b = bank;
    const now = b.now();
    // Imported entries keep their creation times: three a day apart (the first interval starts at
    // the oldest), and one made now.
    const day = 86_400_000;
    const at = (ms: number) => new Date(ms).toISOString();
    await b.batchStore(
      {
        entries: [
          {
            key: "a",
            value: 1,
            namespace: "x",
            createdAt: at(now - 2.5 * day),
            updatedAt: at(now - 2.5 * day),
          },
          {
            key: "b",
            value: 1,
            namespace: "x",
            createdAt: at(now - 1.5 * day),
            updatedAt: at(now - 1.5 * day),
          },
          {
            key: "c",
            value: 1,
            namespace: "y",
            createdAt: at(now - 0.5 * day),
            updatedAt: at(now - 0.5 * day),
          },
        ] as never,
      },
      {},
      { preserve: true },
    );
    await b.storeEntry({ key: "d", value: 1, namespace: "y" });
    await b.storeEntry({ key: "gone", value: 1, namespace: "y", ttl: "1ms" });
    await new Promise((r) => setTimeout(r, 5));
    const out = await growthOperation.run(b, { buckets: 3 }, {});
    expect(out.times).toHaveLength(3);
    expect(out.series).toEqual([
      { namespace: "x", counts: [1, 2, 2] },
      { namespace: "y", counts: [0, 0, 2] },
    ]);
  });

  it("is one flat line per namespace when everything was created at once", async () => {
    bank = await MemoryBank.open(resolveConfig({}, project()), { log: () => {} });
    await bank.storeEntry({ key: "k", value: 1, namespace: "only" });
    const out = await growthOperation.run(bank, { buckets: 2 }, {});
    expect(out.series).toEqual([{ namespace: "only", counts: [1, 1] }]);
  });
});
