/**
 * The importer streams line-oriented sources: importing a file larger than the process may hold
 * in memory works, with a heap too small for the file (a real `memory-bank import` process).
 */
import { spawnSync } from "node:child_process";
import { createWriteStream, statSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { CLI, removeProject, tempProject } from "../helpers.js";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) removeProject(d);
});

describe("streaming import", () => {
  it("imports a file larger than the process may hold in memory", async () => {
    const dir = tempProject();
    dirs.push(dir);
    const file = path.join(dir, "big.jsonl");
    const out = createWriteStream(file);
    const lines = 400_000;
    const filler = "x".repeat(300);
    // Expired records are read and dropped, so the store keeps nothing: memory is the reader's.
    for (let i = 0; i < lines; i++) {
      const line = `${JSON.stringify({ key: `old/${i}`, value: filler, expiresAt: "2001-01-01T00:00:00Z" })}\n`;
      if (!out.write(line)) await new Promise((r) => out.once("drain", r));
    }
    await new Promise((r) => out.end(r));
    expect(statSync(file).size).toBeGreaterThan(135 * 1024 * 1024);
    // A 96 MiB heap cannot hold the ~140 MB file, its lines and their records at once.
    const r = spawnSync(process.execPath, ["--max-old-space-size=96", CLI, "import", "big.jsonl", "--json"], {
      cwd: dir,
      encoding: "utf8",
      timeout: 100_000,
    });
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ format: "jsonl", read: lines, expired: lines, failed: 0 });
  }, 120_000);
});
