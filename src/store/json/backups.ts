/**
 * Versioned backups made by compaction: `backups/<name>.<gen>.json` is the snapshot of generation
 * `gen` (a hard link, so it costs no copy) and `backups/<name>.<gen>.journal` the journal that was
 * folded on top of it. Replaying journal `gen` over snapshot `gen` gives generation `gen + 1`, which
 * is what recovery from a corrupt snapshot needs.
 */
import { type Dirent, readdirSync } from "node:fs";
import { copyFile, link, readdir, rename, rm, stat } from "node:fs/promises";
import path from "node:path";
import { ensureDir, fsyncDir } from "../files.js";
import type { StoreLayout } from "../layout.js";

export interface BackupSet {
  generation: number;
  snapshot?: string;
  journal?: string;
}

/** Preserves the current snapshot under its generation's backup name without copying bytes. */
export async function preserveSnapshot(snapshot: string, target: string): Promise<void> {
  await rm(target, { force: true });
  try {
    await link(snapshot, target);
  } catch {
    // Filesystems without hard links: a copy is slower but just as good.
    await copyFile(snapshot, target);
  }
}

export async function archiveJournal(journal: string, target: string): Promise<boolean> {
  try {
    await rename(journal, target);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return false;
    throw error;
  }
}

export async function listBackups(layout: StoreLayout): Promise<BackupSet[]> {
  let names: Dirent[];
  try {
    names = await readdir(layout.backups, { withFileTypes: true });
  } catch {
    return [];
  }
  return backupSets(layout, names);
}

export function listBackupsSync(layout: StoreLayout): BackupSet[] {
  let names: Dirent[];
  try {
    names = readdirSync(layout.backups, { withFileTypes: true });
  } catch {
    return [];
  }
  return backupSets(layout, names);
}

/** Compaction's files among a directory listing. Only regular files count: a folder of the same name is not a backup. */
function backupSets(layout: StoreLayout, names: Dirent[]): BackupSet[] {
  const byGen = new Map<number, BackupSet>();
  for (const d of names) {
    const file = d.isFile() ? layout.backupOf(d.name) : undefined;
    if (!file) continue;
    const set = byGen.get(file.generation) ?? { generation: file.generation };
    set[file.kind] = path.join(layout.backups, d.name);
    byGen.set(file.generation, set);
  }
  return [...byGen.values()].sort((a, b) => a.generation - b.generation);
}

/**
 * Keeps the newest `keep` snapshot backups. A journal is kept as long as any kept snapshot is
 * older than it, since recovery from that snapshot replays every journal after it. The newest
 * journal is always kept, whatever `keep` says: the current snapshot names how much of it it
 * folded, and a late writer's lines after that are read from it (see JsonStore.carryForward).
 */
export async function pruneBackups(layout: StoreLayout, keep: number): Promise<number> {
  const sets = await listBackups(layout);
  const newestJournal = sets.filter((s) => s.journal).at(-1)?.journal;
  const withSnapshot = sets.filter((s) => s.snapshot);
  const oldestKept =
    withSnapshot.length > keep ? withSnapshot[withSnapshot.length - keep]?.generation : undefined;
  if (oldestKept === undefined && keep > 0) return 0;
  const cutoff = oldestKept ?? Number.POSITIVE_INFINITY;
  let removed = 0;
  for (const set of sets) {
    if (set.generation >= cutoff) continue;
    for (const file of [set.snapshot, set.journal]) {
      if (!file || file === newestJournal) continue;
      await rm(file, { force: true });
      removed++;
    }
  }
  if (removed) await fsyncDir(layout.backups);
  return removed;
}

export async function backupBytes(backupDir: string): Promise<number> {
  let total = 0;
  async function walk(dir: string): Promise<void> {
    let names: string[];
    try {
      names = await readdir(dir);
    } catch {
      return;
    }
    for (const name of names) {
      const p = path.join(dir, name);
      const s = await stat(p).catch(() => undefined);
      if (!s) continue;
      if (s.isDirectory()) await walk(p);
      else total += s.size;
    }
  }
  await walk(backupDir);
  return total;
}

export { ensureDir };
