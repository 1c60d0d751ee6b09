/**
 * Where a store keeps what it keeps. Every name is derived from one path, the snapshot's
 * (`memory.path`, by default memory/claude-flow-data.json), here and nowhere else: the JSON
 * backend's files, the folders beside them (backups, damaged bytes, session records, named
 * backups), the embeddings' vectors, and which names in the directory belong to the store (so
 * that an export is never written over one of them, and a directory holding nothing else may
 * be made private).
 *
 * ```
 * memory/
 *   claude-flow-data.json             snapshot                  (json backend)
 *   claude-flow-data.journal          journal                   (json backend)
 *   claude-flow-data.json.lock        writer lock, a symlink    (json backend)
 *   .claude-flow-data.clock.*.tmp     clock probes              (json backend)
 *   claude-flow-data.vectors.jsonl    embeddings                (memory.embeddings)
 *   claude-flow-data.index            the search index, saved   (service/index-segment.ts)
 *   claude-flow-data.sock             the bank server's socket  (memory.server; see server/endpoint.ts)
 *   claude-flow-data.server.lock      held while a bank server claims the socket
 *   claude-flow-data.server.starting  names the process starting a bank server (others wait for it)
 *   claude-flow-data.server.log       the bank server's log (it has no terminal)
 *   backups/claude-flow-data.<g>.json|.journal   compaction's backups; torn tails; NAME/ folders of concurrent-export
 *   corrupt/                          damaged bytes set aside, never deleted
 *   sessions/                         one record per process using the store
 * ```
 */
import path from "node:path";

/** Longest socket path used as is (sun_path holds 108 bytes on Linux, 104 on macOS, with the NUL). */
export const MAX_SOCKET_PATH = 100;

/** Folders beside the snapshot that belong to the store. */
const STORE_FOLDERS = new Set(["backups", "corrupt", "sessions"]);

/** Other names a directory dedicated to the store may hold (git's keep files, the default exports). */
const DEDICATED_EXTRAS = new Set([".gitignore", ".gitkeep", ".keep", "exports"]);

export interface StoreLayout {
  /** The snapshot: the path everything else is named after. */
  readonly snapshot: string;
  /** The directory holding the store. */
  readonly dir: string;
  /** The snapshot's name without `.json`: the stem of every file of the store. */
  readonly base: string;
  readonly journal: string;
  readonly lock: string;
  /** Clock probes are temp files named after this (`.<base>.clock.<pid>.<hex>.tmp`), never a snapshot's name. */
  readonly clockProbe: string;
  readonly vectors: string;
  /** The search index as last saved, loaded at start instead of rebuilt when it still fits the store. */
  readonly indexSegment: string;
  /** The bank server's Unix socket, when its path is short enough (server/endpoint.ts). */
  readonly socket: string;
  /** What a bank server locks (`<this>.lock`) while it checks for a stale socket and binds. */
  readonly serverClaim: string;
  /** Created (O_EXCL) by the session that starts a bank server, so that sessions starting with it wait instead of each starting one. */
  readonly serverStarting: string;
  readonly serverLog: string;
  readonly backups: string;
  readonly corrupt: string;
  readonly sessions: string;
  /** Compaction's backup of generation `generation`: its snapshot and the journal folded onto it. */
  backup(generation: number): { snapshot: string; journal: string };
  /** The generation and kind of a compaction backup's file name in backups/, if it is one. */
  backupOf(name: string): { generation: number; kind: "snapshot" | "journal" } | undefined;
  /** A named backup folder of concurrent-export. */
  namedBackup(name: string): string;
  /** Where the bytes of a torn journal tail are kept when it is cut. */
  tornTail(stampMs: number, offset: number): string;
  /** Where a damaged snapshot entry's bytes are kept. */
  damagedEntry(offset: number, crc: number): string;
  /** Where a damaged journal line's bytes are kept. */
  damagedLine(journalIno: number, offset: number, crc: number): string;
  /** Where an unreadable snapshot is kept when it is rebuilt. */
  unreadableSnapshot(stampMs: number): string;
  /** True for a path (relative to `dir`) that names one of the store's own files or folders. */
  owns(relative: string): boolean;
  /** True for a name a directory holding only this store may contain. */
  dedicated(name: string): boolean;
}

export function storeLayout(dataPath: string): StoreLayout {
  const snapshot = path.resolve(dataPath);
  const dir = path.dirname(snapshot);
  const base = path.basename(snapshot).replace(/\.json$/, "");
  const backups = path.join(dir, "backups");
  const corrupt = path.join(dir, "corrupt");
  const owns = (relative: string) => {
    if (relative === "" || relative.startsWith("..") || path.isAbsolute(relative)) return false;
    const [first = ""] = relative.split(path.sep);
    return (
      STORE_FOLDERS.has(first) ||
      // Its files (base.journal, base.json.lock, ...) and the temp files of its atomic writes.
      (relative === first && (first.startsWith(`${base}.`) || first.startsWith(`.${base}.`)))
    );
  };
  return {
    snapshot,
    dir,
    base,
    journal: path.join(dir, `${base}.journal`),
    lock: `${snapshot}.lock`,
    clockProbe: path.join(dir, `${base}.clock`),
    vectors: path.join(dir, `${base}.vectors.jsonl`),
    indexSegment: path.join(dir, `${base}.index`),
    socket: path.join(dir, `${base}.sock`),
    serverClaim: path.join(dir, `${base}.server`),
    serverStarting: path.join(dir, `${base}.server.starting`),
    serverLog: path.join(dir, `${base}.server.log`),
    backups,
    corrupt,
    sessions: path.join(dir, "sessions"),
    backup: (generation) => ({
      snapshot: path.join(backups, `${base}.${generation}.json`),
      journal: path.join(backups, `${base}.${generation}.journal`),
    }),
    backupOf: (name) => {
      if (!name.startsWith(`${base}.`)) return undefined;
      const m = /^(\d+)\.(json|journal)$/.exec(name.slice(base.length + 1));
      if (!m) return undefined;
      return { generation: Number(m[1]), kind: m[2] === "json" ? "snapshot" : "journal" };
    },
    namedBackup: (name) => path.join(backups, name),
    tornTail: (stampMs, offset) => path.join(backups, `${base}.torn-${stampMs}-${offset}.journal`),
    damagedEntry: (offset, crc) => path.join(corrupt, `${base}.entry-${offset}-${crc.toString(16)}.bad`),
    damagedLine: (ino, offset, crc) =>
      path.join(corrupt, `${base}.line-${ino}-${offset}-${crc.toString(16)}.bad`),
    unreadableSnapshot: (stampMs) => path.join(corrupt, `${path.basename(snapshot)}.${stampMs}`),
    owns,
    dedicated: (name) => DEDICATED_EXTRAS.has(name) || owns(name),
  };
}
