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

export interface BackupSet {
  generation: number;
  snapshot?: string;
  journal?: string;
}

export function backupNames(backupDir: string, base: string, generation: number) {
  return {
    snapshot: path.join(backupDir, `${base}.${generation}.json`),
    journal: path.join(backupDir, `${base}.${generation}.journal`),
  };
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

export async function listBackups(backupDir: string, base: string): Promise<BackupSet[]> {
  let names: Dirent[];
  try {
    names = await readdir(backupDir, { withFileTypes: true });
  } catch {
    return [];
  }
  return backupSets(backupDir, base, names);
}

export function listBackupsSync(backupDir: string, base: string): BackupSet[] {
  let names: Dirent[];
  try {
    names = readdirSync(backupDir, { withFileTypes: true });
  } catch {
    return [];
  }
  return backupSets(backupDir, base, names);
}

/** Compaction's files among a directory listing. Only regular files count: a folder of the same name is not a backup. */
function backupSets(backupDir: string, base: string, names: Dirent[]): BackupSet[] {
  const byGen = new Map<number, BackupSet>();
  const prefix = `${base}.`;
  for (const d of names) {
    if (!d.isFile() || !d.name.startsWith(prefix)) continue;
    const m = /^(\d+)\.(json|journal)$/.exec(d.name.slice(prefix.length));
    if (!m) continue;
    const generation = Number(m[1]);
    const set = byGen.get(generation) ?? { generation };
    if (m[2] === "json") set.snapshot = path.join(backupDir, d.name);
    else set.journal = path.join(backupDir, d.name);
    byGen.set(generation, set);
  }
  return [...byGen.values()].sort((a, b) => a.generation - b.generation);
}

/**
 * Keeps the newest `keep` snapshot backups. A journal is kept as long as any kept snapshot is
 * older than it, since recovery from that snapshot replays every journal after it. The newest
 * journal is always kept, whatever `keep` says: the current snapshot names how much of it it
 * folded, and a late writer's lines after that are read from it (see JsonStore.carryForward).
 */
export async function pruneBackups(backupDir: string, base: string, keep: number): Promise<number> {
  const sets = await listBackups(backupDir, base);
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
  if (removed) await fsyncDir(backupDir);
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
