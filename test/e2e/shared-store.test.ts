/**
 * Two projects that share one memory directory (each project's `memory/` a symlink to it), each
 * with its own retention: each project's policy governs the entries it wrote, for readers,
 * cleanup and compaction alike, and a retention file given to batch-cleanup explicitly still
 * applies to everything.
 */
import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { cli } from "../cli/run.js";
import { type Connected, connect, ok, removeProject, tempProject } from "../helpers.js";
import { sleep } from "../reliability/harness.js";

const dirs: string[] = [];
const open: Connected[] = [];

afterEach(async () => {
  for (const s of open.splice(0)) await s.close().catch(() => {});
  for (const d of dirs.splice(0)) removeProject(d);
});

/** A project whose memory/ is a symlink to `shared`, keeping `sessions` entries for `keep`. */
function projectOn(shared: string, keep: string): string {
  const dir = tempProject({ memory: { retentionPolicy: { sessions: keep } } });
  dirs.push(dir);
  symlinkSync(shared, path.join(dir, "memory"));
  return dir;
}

async function serve(dir: string): Promise<Connected> {
  const s = await connect(dir);
  open.push(s);
  return s;
}

const found = async (s: Connected, key: string) =>
  (await ok<{ found: boolean }>(s.client, "memory_get", { key, namespace: "sessions" })).found;

describe("one memory directory shared by two projects with different retention", () => {
  it("each project's retention governs the entries it wrote, for reads, cleanup and compaction", async () => {
    const shared = tempProject();
    dirs.push(shared);
    mkdirSync(path.join(shared, "store"), { mode: 0o700 });
    const store = path.join(shared, "store");
    const brief = projectOn(store, "2s");
    const long = projectOn(store, "30d");
    const a = await serve(brief);
    const b = await serve(long);
    await ok(a.client, "memory_store", { key: "from-brief", value: 1, namespace: "sessions" });
    await ok(b.client, "memory_store", { key: "from-long", value: 2, namespace: "sessions" });
    await sleep(2500);

    // Readers: the brief project's entry is over for both; the long one's is alive for both.
    expect(await found(a, "from-brief")).toBe(false);
    expect(await found(b, "from-brief")).toBe(false);
    expect(await found(a, "from-long")).toBe(true);
    expect(await found(b, "from-long")).toBe(true);

    // The brief project's cleanup removes its own expired entry only.
    const cleaned = await ok<{ removed: number; namespaces: Array<{ keys: string[] }> }>(
      a.client,
      "memory_cleanup",
      {},
    );
    expect(cleaned.namespaces.flatMap((n) => n.keys)).toEqual(["from-brief"]);
    // Its shutdown compacts the store, dropping what it deems expired: not the other's entry.
    await a.close();
    expect(await found(b, "from-long")).toBe(true);

    // An explicit retention file still applies to every entry.
    writeFileSync(path.join(long, "strict.json"), JSON.stringify({ sessions: "1s" }));
    await b.close();
    const r = await cli(long, ["batch-cleanup", "strict.json", "--json"]);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).removed).toBe(1);
  });
});
