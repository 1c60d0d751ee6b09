/**
 * Lock-free readers against a compaction by another process. A reader stats the snapshot, then
 * the journal; a compaction that lands between the two replaces both. The reader must not take the
 * new (empty) journal as the continuation of the old snapshot: that would hide every write in the
 * old journal's unread tail, writes that were acknowledged before the read began.
 *
 * The interleaving is forced: `statSync` is wrapped so that the compaction (done with plain file
 * operations, exactly as another process would leave the files) happens at that precise moment.
 */
import * as realFs from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";

let hook: ((call: "stat" | "open", file: string) => void) | undefined;

vi.mock("node:fs", async (importOriginal) => {
  const actual = await importOriginal<typeof import("node:fs")>();
  const statSync = ((file: realFs.PathLike, ...rest: unknown[]) => {
    hook?.("stat", String(file));
    return (actual.statSync as (...a: unknown[]) => unknown)(file, ...rest);
  }) as typeof actual.statSync;
  const openSync = ((file: realFs.PathLike, ...rest: unknown[]) => {
    hook?.("open", String(file));
    return (actual.openSync as (...a: unknown[]) => unknown)(file, ...rest);
  }) as typeof actual.openSync;
  return { ...actual, default: { ...actual, statSync, openSync }, statSync, openSync };
});

const { contents, dataPath, openStore, put, removeDir, tempDir } = await import("./fixtures.js");
const { writeSnapshot } = await import("../../../src/store/json/snapshot.js");

let dirs: string[] = [];
afterEach(() => {
  hook = undefined;
  for (const d of dirs) removeDir(d);
  dirs = [];
});

/** What a compaction by another process leaves: snapshot of the next generation, new empty journal. */
function compactBehindTheReadersBack(dir: string, generation: number, snapshotFile: string): void {
  const journal = path.join(dir, "memory", "claude-flow-data.journal");
  realFs.renameSync(snapshotFile, dataPath(dir));
  realFs.mkdirSync(path.join(dir, "memory", "backups"), { recursive: true });
  realFs.renameSync(
    journal,
    path.join(dir, "memory", "backups", `claude-flow-data.${generation - 1}.journal`),
  );
  realFs.writeFileSync(journal, "");
}

describe("a reader racing a compaction", () => {
  for (const when of ["between the snapshot and journal stats", "between the journal stat and its read"]) {
    it(`${when}: still sees every acknowledged write`, async () => {
      const dir = tempDir();
      dirs.push(dir);
      const writer = await openStore(dir);
      const reader = await openStore(dir);
      await put(writer.store, "a", 1);
      reader.store.refresh();
      expect(contents(reader.store)).toEqual({ "default/a": 1 });

      // Acknowledged before the reader's next read begins.
      await put(writer.store, "b", 2);
      // The next generation's snapshot, prepared aside (a compaction writes it to a temp file first).
      const staged = path.join(dir, "staged-snapshot.json");
      await writeSnapshot(staged, 1, writer.store.entries(), writer.store.size);

      const journal = path.join(dir, "memory", "claude-flow-data.journal");
      const moment = when.startsWith("between the snapshot") ? "stat" : "open";
      let raced = false;
      hook = (call, file) => {
        if (call !== moment || file !== journal) return;
        hook = undefined;
        raced = true;
        compactBehindTheReadersBack(dir, 1, staged);
      };
      reader.store.refresh();
      hook = undefined;
      // The compaction really landed inside the read (the wrapped fs call was reached).
      expect(raced).toBe(true);
      expect(contents(reader.store)).toEqual({ "default/a": 1, "default/b": 2 });
      expect(reader.store.status().problems).toEqual([]);
      reader.store.refresh();
      expect(contents(reader.store)).toEqual({ "default/a": 1, "default/b": 2 });
    });
  }
});
