/** MemoryBank with memory.indexing off: text queries scan keys, values and tags instead of the index. */
import { afterEach, describe, expect, it } from "vitest";
import { resolveConfig } from "../../src/config/config.js";
import { MemoryBank } from "../../src/service/bank.js";
import { removeProject, tempProject } from "../helpers.js";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) removeProject(d);
});

describe("indexing off", () => {
  it("finds by words in key, value and tags, ranks by words matched, and pages with a cursor", async () => {
    const dir = tempProject();
    dirs.push(dir);
    const bank = await MemoryBank.open(resolveConfig({ memory: { indexing: false } }, dir), {
      log: () => {},
    });
    expect(bank.searchIndex).toBeUndefined();
    await bank.storeEntry({ key: "db/replication", value: "PostgreSQL streaming replication" });
    await bank.storeEntry({ key: "db/backup", value: "nightly dump", tags: ["postgresql"] });
    await bank.storeEntry({ key: "ui/theme", value: "dark mode" });
    const both = bank.querySync({ query: "postgresql replication" });
    expect(both.results.map((r) => r.key)).toEqual(["db/replication", "db/backup"]);
    const first = bank.querySync({ query: "db", limit: 1 });
    expect(first.results).toHaveLength(1);
    const second = bank.querySync({ query: "db", limit: 1, cursor: first.nextCursor });
    expect(second.results).toHaveLength(1);
    expect(second.nextCursor).toBeUndefined();
    expect([first.results[0]?.key, second.results[0]?.key].sort()).toEqual(["db/backup", "db/replication"]);
    await bank.close();
  });
});
