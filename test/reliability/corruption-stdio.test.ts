/**
 * The corruption suite over real stdio: damage the files of a store between server runs and check
 * what an agent's server says and does. (test/store/corruption.test.ts covers every case at the
 * store level; these are the same promises seen from the outside.)
 */
import { appendFileSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { call, connect, removeProject, tempProject, textOf } from "../helpers.js";
import { inventory } from "../store/json/fixtures.js";

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) removeProject(d);
});

async function killed(dir: string, keys: string[]): Promise<void> {
  const s = await connect(dir);
  for (const key of keys) {
    const r = await call(s.client, "memory_store", { key, value: `value of ${key}` });
    expect(r.isError, textOf(r)).toBeFalsy();
  }
  // SIGKILL: no clean-shutdown compaction, the journal keeps the lines.
  process.kill(s.pid as number, "SIGKILL");
  await s.close().catch(() => {});
}

describe("damaged files, seen through a server", () => {
  it("a flipped byte and a torn tail: the damaged write is reported with its bytes kept, the rest served, the tail cut", async () => {
    const dir = tempProject();
    dirs.push(dir);
    await killed(dir, ["k1", "k2", "k3"]);
    const journal = path.join(dir, "memory", "claude-flow-data.journal");
    const bytes = readFileSync(journal);
    const second = bytes.indexOf("value of k2");
    bytes[second] = (bytes[second] as number) ^ 0x20;
    writeFileSync(journal, bytes);
    appendFileSync(journal, '{"gen":0,"seq":9,"op":"put","entry":{"key":"torn');

    const s = await connect(dir);
    try {
      const got = async (key: string) =>
        (await call(s.client, "memory_query", { key })).structuredContent as {
          results: Array<{ value: unknown }>;
        };
      expect((await got("k1")).results[0]?.value).toBe("value of k1");
      expect((await got("k2")).results).toEqual([]);
      expect((await got("k3")).results[0]?.value).toBe("value of k3");
      expect(s.stderr()).toMatch(
        /is damaged \(checksum mismatch\); it was skipped and its bytes are kept in .*corrupt/,
      );
      const w = await call(s.client, "memory_store", { key: "k4", value: 4 });
      expect(w.isError, textOf(w)).toBeFalsy();
      expect(s.stderr()).toMatch(/incomplete write .* was never acknowledged, was cut off, and is kept in/);
    } finally {
      await s.close();
    }
  }, 30_000);

  it("a garbage snapshot is rebuilt from the archived journals, and reported", async () => {
    const dir = tempProject();
    dirs.push(dir);
    await killed(dir, ["a", "b"]);
    const s0 = await connect(dir);
    await s0.close(); // clean shutdown: compacts into a snapshot, the journal goes to backups/
    writeFileSync(path.join(dir, "memory", "claude-flow-data.json"), "{garbage");
    const s = await connect(dir);
    try {
      const r = await call(s.client, "memory_query", { keyPrefix: "" });
      expect(
        (r.structuredContent as { results: Array<{ key: string }> }).results.map((x) => x.key).sort(),
      ).toEqual(["a", "b"]);
      expect(s.stderr()).toMatch(/snapshot was unreadable .* moved to .*corrupt.* and rebuilt/);
    } finally {
      await s.close();
    }
  }, 30_000);

  it("a garbage snapshot with no backup: the server refuses to start, says why, and changes no byte", async () => {
    const dir = tempProject();
    dirs.push(dir);
    await killed(dir, ["a"]);
    const s0 = await connect(dir);
    await s0.close(); // clean shutdown: compacts into a snapshot
    writeFileSync(path.join(dir, "memory", "claude-flow-data.json"), "{garbage");
    rmSync(path.join(dir, "memory", "backups"), { recursive: true, force: true });
    const before = inventory(path.join(dir, "memory"));
    let stderr = "";
    const error = await connect(dir).then(
      async (s) => {
        stderr = s.stderr();
        await s.close();
        return undefined;
      },
      (e: unknown) => e,
    );
    expect(error, stderr).toBeDefined();
    expect(inventory(path.join(dir, "memory"))).toEqual(before);
  }, 30_000);
});
