/**
 * A disk that really fills up: the project lives on a 2 MiB tmpfs, the store compacts every
 * 64 KiB, and 1.5 KB values are stored until the disk refuses them. On a full disk write(2)
 * returns short counts before it returns ENOSPC, so this is where a writer that does not check
 * its byte counts installs a truncated snapshot. Afterwards space is freed and a fresh process
 * must start and find every acknowledged write; an export that could not be written whole must
 * fail, never report success.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { call, connect, textOf } from "../helpers.js";
import { mountTmpfs } from "../system-deps.js";

const VALUE = "x".repeat(1500);
const cleanups: Array<() => void> = [];
afterAll(() => {
  for (const c of cleanups.reverse()) c();
});

function fullDiskProject(): string {
  const base = mkdtempSync(path.join(tmpdir(), "memory-bank-full-"));
  const dir = path.join(base, "project");
  const unmount = mountTmpfs(dir, "2m");
  cleanups.push(() => rmSync(base, { recursive: true, force: true }));
  cleanups.push(unmount);
  writeFileSync(
    path.join(dir, "claude-flow.config.json"),
    JSON.stringify({ memory: { store: { compactAfterBytes: 65536, backupsKept: 2 } } }),
  );
  return dir;
}

describe("a full disk", () => {
  it("during writes and compactions: every acknowledged write survives, and the store opens once space is freed", async () => {
    const dir = fullDiskProject();
    // Space to free afterwards, as a person would by deleting something.
    const ballast = path.join(dir, "ballast.bin");
    writeFileSync(ballast, Buffer.alloc(320 * 1024, 1));

    const acked = new Set<string>();
    let refused = 0;
    let lastError = "";
    const s = await connect(dir);
    try {
      for (let i = 0; refused < 25 && i < 5000; i++) {
        const key = `k${i}`;
        const r = await call(s.client, "memory_store", { key, value: `${key} ${VALUE}` });
        if (r.isError) {
          refused++;
          lastError = textOf(r);
        } else {
          acked.add(key);
        }
      }
      expect(refused, "the disk never filled up").toBe(25);
      expect(lastError).toMatch(/disk is full|no space/i);

      // An export that cannot be written whole fails; one that succeeds is exactly what it says.
      const ex = await call(s.client, "export", { path: "memory/exports/full.json" });
      if (!ex.isError) {
        const out = ex.structuredContent as { path: string; bytes: number; sha256: string };
        const bytes = readFileSync(path.join(dir, out.path));
        expect(bytes.length).toBe(out.bytes);
        expect(createHash("sha256").update(bytes).digest("hex")).toBe(out.sha256);
      } else {
        expect(textOf(ex)).toMatch(/disk is full|no space/i);
        expect(existsSync(path.join(dir, "memory/exports/full.json"))).toBe(false);
      }
    } finally {
      await s.close().catch(() => {});
    }

    rmSync(ballast);
    const fresh = await connect(dir);
    try {
      const found = new Set<string>();
      let cursor: string | undefined;
      do {
        const r = await call(fresh.client, "memory_query", {
          keyPrefix: "k",
          limit: 1000,
          ...(cursor ? { cursor } : {}),
        });
        expect(r.isError, textOf(r)).toBeFalsy();
        const out = r.structuredContent as {
          results: Array<{ key: string; value: string }>;
          nextCursor?: string;
        };
        for (const e of out.results) if (e.value === `${e.key} ${VALUE}`) found.add(e.key);
        cursor = out.nextCursor;
      } while (cursor);
      const lost = [...acked].filter((k) => !found.has(k));
      process.stderr.write(
        `full disk: ${acked.size} writes acknowledged before the disk refused ${refused}, ${acked.size - lost.length} found by a fresh process after space was freed\n`,
      );
      expect(lost, `${lost.length} of ${acked.size} acknowledged writes lost`).toEqual([]);
      expect(acked.size).toBeGreaterThan(300);
      // And the store takes writes again.
      const w = await call(fresh.client, "memory_store", { key: "after", value: 1 });
      expect(w.isError, textOf(w)).toBeFalsy();
    } finally {
      await fresh.close();
    }
  }, 180_000);
});
