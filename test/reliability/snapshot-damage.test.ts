/**
 * Damage that leaves the snapshot valid JSON: a flipped byte in a date or inside a value, a field
 * of the wrong type. No process may crash on it, serve it as if it were right, or fail every
 * query because of it. A damaged entry is set aside (its bytes kept in memory/corrupt/) and
 * reported; when backups hold an unbroken chain it is restored from them exactly.
 */
import { readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { cli } from "../cli/run.js";
import { call, connect, removeProject, tempProject, textOf } from "../helpers.js";

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) removeProject(d);
});

/** A store of k0..k9 written and compacted by a clean shutdown, then compacted once more. */
async function compactedStore(): Promise<string> {
  const dir = tempProject();
  dirs.push(dir);
  for (let round = 0; round < 2; round++) {
    const s = await connect(dir);
    for (let i = 0; i < 10; i++) {
      const r = await call(s.client, "memory_store", {
        key: `k${i}`,
        value: `the value of k${i}`,
        tags: ["t"],
        ...(round === 1 && i === 0 ? { metadata: { round } } : {}),
      });
      expect(r.isError, textOf(r)).toBeFalsy();
    }
    await s.close(); // clean shutdown: compacts
  }
  return dir;
}

const snapshotOf = (dir: string) => path.join(dir, "memory", "claude-flow-data.json");

/** Edits the line of the snapshot holding `key` (the snapshot stores one entry per line). */
function editEntryLine(dir: string, key: string, edit: (line: string) => string): void {
  const file = snapshotOf(dir);
  const lines = readFileSync(file, "utf8").split("\n");
  const i = lines.findIndex((l) => l.includes(`"key":"${key}"`));
  expect(i).toBeGreaterThan(0);
  const edited = edit(lines[i] as string);
  expect(edited).not.toBe(lines[i]);
  lines[i] = edited;
  writeFileSync(file, lines.join("\n"));
  JSON.parse(readFileSync(file, "utf8")); // still valid JSON: the point of these cases
}

const DAMAGE: Array<[string, (line: string) => string]> = [
  ["a flipped byte in updatedAt", (l) => l.replace(/("updatedAt":"\d{3})\d/, "$1x")],
  ["tags not an array", (l) => l.replace('"tags":["t"]', '"tags":"t"')],
  ["type as a number", (l) => l.replace('"type":"semantic"', '"type":7')],
  ["version as a string", (l) => l.replace(/"version":(\d+)/, '"version":"$1"')],
  ["a flipped byte inside the value", (l) => l.replace("the value of k3", "the valUe of k3")],
];

async function query(dir: string) {
  const s = await connect(dir);
  try {
    const ranked = await call(s.client, "memory_query", { query: "value", limit: 20 });
    const listed = await call(s.client, "memory_query", { limit: 20 });
    const one = await call(s.client, "memory_get", { key: "k3" });
    const stats = await call(s.client, "memory_stats", {});
    return { ranked, listed, one, stats, stderr: s.stderr() };
  } finally {
    await s.close();
  }
}

describe("a snapshot damaged but still valid JSON", () => {
  for (const [name, edit] of DAMAGE) {
    it(`${name}: the server starts, serves every entry exactly, restores the damaged one from backups and reports it`, async () => {
      const dir = await compactedStore();
      editEntryLine(dir, "k3", edit);
      const r = await query(dir);
      for (const res of [r.ranked, r.listed, r.one, r.stats]) expect(res.isError, textOf(res)).toBeFalsy();
      const values = (r.ranked.structuredContent as { results: Array<{ key: string; value: unknown }> })
        .results;
      expect(values.map((v) => v.key).sort()).toEqual([...Array(10).keys()].map((i) => `k${i}`).sort());
      for (const v of values) expect(v.value).toBe(`the value of ${v.key}`);
      expect((r.one.structuredContent as { entry: { value: unknown } }).entry.value).toBe("the value of k3");
      expect(r.stderr).toMatch(/damaged/);
      // The damaged bytes are kept, not destroyed.
      const kept = readdirSync(path.join(dir, "memory", "corrupt"));
      expect(kept.length).toBeGreaterThan(0);
    });
  }

  it("with no backups to restore from: the damaged entry is set aside and reported, every other one served", async () => {
    const dir = await compactedStore();
    rmSync(path.join(dir, "memory", "backups"), { recursive: true, force: true });
    editEntryLine(dir, "k3", (l) => l.replace("the value of k3", "the valUe of k3"));
    editEntryLine(dir, "k5", (l) => l.replace('"type":"semantic"', '"type":7'));
    const r = await query(dir);
    for (const res of [r.ranked, r.listed, r.stats]) expect(res.isError, textOf(res)).toBeFalsy();
    const keys = (
      r.ranked.structuredContent as { results: Array<{ key: string; value: unknown }> }
    ).results.map((v) => v.key);
    expect(keys.sort()).toEqual(["k0", "k1", "k2", "k4", "k6", "k7", "k8", "k9"]);
    // Set aside, not served as if it were right.
    expect((r.one.structuredContent as { found: boolean }).found).toBe(false);
    const problems = (
      r.stats.structuredContent as { store: { problems: Array<{ kind: string; detail: string }> } }
    ).store.problems;
    expect(problems.filter((p) => p.kind === "corrupt-entry").map((p) => p.detail)).toEqual([
      expect.stringMatching(/k3.*kept in .*corrupt/),
      expect.stringMatching(/k5.*kept in .*corrupt/),
    ]);
    const corrupt = path.join(dir, "memory", "corrupt");
    const kept = readdirSync(corrupt).map((n) => readFileSync(path.join(corrupt, n), "utf8"));
    expect(kept.some((t) => t.includes("the valUe of k3"))).toBe(true);

    // The repair verb does not fail on it either.
    const repair = await cli(dir, ["index-validate", "--repair"]);
    expect(repair.code, repair.stderr + repair.stdout).toBe(0);
  });
});
