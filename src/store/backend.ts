/**
 * The Backend contract: everything the service (MemoryBank) needs from persistence, and the only
 * way it reaches stored data. Implementations: the JSON store (json/: snapshot + journal, shared
 * by every process on the machine) and the in-memory store (memory/: tests, and the smallest
 * implementation of the contract). A database backend for teams on many machines implements the
 * same interface without touching the service, the tools or the CLI, and is held to the same
 * contract suite (test/store/contract.ts).
 *
 * The contract, in short:
 * - `open()` loads the state (observers get one `reset`); `refresh()` follows what other
 *   instances sharing the store committed since (cheap when nothing changed).
 * - `write(fn)` runs `fn` as a transaction against the freshest state, so a read-check-write in
 *   it (`ifVersion`, `onConflict`) sees the truth; a throwing `fn` writes nothing; `atomic`
 *   commits all of its changes as one record, all or nothing across crashes.
 * - Every applied change, own or followed, reaches observers once, in commit order.
 * - `watch` (optional) tells when another instance may have committed, so a change reaches
 *   observers without waiting for the next read (resource subscriptions).
 * - `now()` / `TxView.now` is the store's clock, which every instance agrees on.
 * - Optional capabilities: `compact` (fold history, drop expired entries) and `maintenance`
 *   (inspection and repairs for the admin verbs). Callers check for them; nothing asks what
 *   class a backend is.
 */
import type { Entry } from "../domain/entry.js";

/** A change applied to the in-memory state, from this process or replayed from another one. */
/**
 * One applied change. `at`, when the backend knows it: where the change's record ends in the log
 * of the state's base (the JSON store: the journal's byte offset just past its line), comparable
 * with StoreCheckpoint.logBytes, so that what was derived at a checkpoint skips what it holds.
 */
export type Change =
  | { kind: "put"; entry: Entry; previous?: Entry; at?: number }
  | { kind: "del"; entry: Entry; at?: number };

export interface StoreObserver {
  /** Called once per applied change, in journal order. */
  applied(change: Change): void;
  /** Called when the whole state was replaced (first load, recovery). */
  reset(): void;
}

/** The view a write transaction gets: reads see the transaction's own and its group's staged writes. */
export interface TxView {
  /**
   * The store's time for this transaction (epoch ms), read under the lock: what entries are
   * stamped with (createdAt, updatedAt, expiresAt from a TTL) and what "expired" means for them.
   */
  readonly now: number;
  get(namespace: string, key: string): Entry | undefined;
  put(entry: Entry): void;
  del(namespace: string, key: string): void;
}

export interface WriteOptions {
  /** Commit every change of the transaction as one journal record: all or nothing across crashes. */
  atomic?: boolean;
}

export interface CompactResult {
  generation: number;
  entries: number;
  dropped: number;
  bytes: number;
  backup?: string;
}

export interface StoreProblem {
  at: string;
  kind:
    | "corrupt-line"
    | "corrupt-entry"
    | "torn-tail"
    | "recovered-snapshot"
    | "lock-compromised"
    | "journal-missing";
  detail: string;
}

export interface StoreStatus {
  generation: number;
  entries: number;
  journalBytes: number;
  journalRecords: number;
  snapshotBytes: number;
  lastCompaction?: string;
  revision: number;
  problems: StoreProblem[];
}

/**
 * What is stored where, checked without changing anything (index-validate): the state as last
 * written whole (`snapshot`) and the changes recorded since (`journal`).
 */
export interface StorageInspection {
  snapshot: {
    path: string;
    exists: boolean;
    ok: boolean;
    entries: number;
    generation: number;
    error?: string;
  };
  journal: {
    path: string;
    exists: boolean;
    bytes: number;
    lines: number;
    badLines: Array<{ offset: number; length: number; reason: string }>;
    /** Bytes after the last newline: a write in flight, or a torn tail left by a crash. */
    incompleteTailBytes: number;
    /** Records of a generation newer than the snapshot's (the snapshot is older than the journal). */
    newerGenerations: number;
  };
}

export interface StorageUsage {
  snapshotBytes: number;
  journalBytes: number;
  backupsBytes: number;
  /** When the state was last written whole (compaction or recovery), as far as the storage tells. */
  lastCompaction?: string;
}

/**
 * Optional capability: what the admin verbs need beyond entries (stats' disk usage, debug's
 * writer check, index-validate and its --repair). A backend without it still serves every
 * operation; those verbs then report what the rest of the contract tells.
 */
export interface StoreMaintenance {
  /** Checks the stored data without changing anything; usable before open(), which repairs what it can. */
  inspect(): Promise<StorageInspection>;
  /** Cuts an incomplete last record (a writer died mid-append), keeping its bytes; the problems noticed. */
  repairTornTail(): Promise<StoreProblem[]>;
  /** From now on close() leaves the stored data as it is (a check that promised to change nothing). */
  keepAsIsAtClose(): void;
  usage(): Promise<StorageUsage>;
  /** True while some process is committing a write. */
  writerActive(): boolean;
}

/**
 * A checkpoint: where the state in memory stands in the store's persisted history: the whole-state file it
 * was loaded from (or last wrote), and how much of the log written after that file it has
 * applied. Whatever is derived from the state at a checkpoint (the saved search index) is
 * valid for a later state of the same store exactly when the store still continues that
 * checkpoint: same base, and a log that begins with the same bytes; replaying the log onto what
 * was derived then brings it up to date, because every record sets or removes an entry whole.
 */
export interface StoreCheckpoint {
  /** The base file's identity: its generation, size and whole-file checksum. */
  base: string;
  /** Bytes of the base's log applied, and their CRC-32. */
  logBytes: number;
  logCrc: number;
}

export interface Backend {
  open(): Promise<void>;
  /**
   * The store's clock (epoch ms): the time every process sharing the store agrees on, whatever
   * this process's own clock says. The JSON store reads it from its file system (store/clock.ts);
   * a backend on a database would take the database's time; one in memory, Date.now().
   */
  now(): number;
  /** Picks up every change other processes have acknowledged. Cheap when nothing changed. */
  refresh(): void;
  get(namespace: string, key: string): Entry | undefined;
  namespace(namespace: string): ReadonlyMap<string, Entry> | undefined;
  namespaces(): string[];
  entries(): IterableIterator<Entry>;
  readonly size: number;
  /** Bumps on every applied change: a cache keyed by it is never stale. */
  readonly revision: number;
  write<R>(fn: (tx: TxView) => R, options?: WriteOptions): Promise<R>;
  /** Optional: folds the history into a new whole state, dropping expired entries. */
  compact?(reason?: string): Promise<CompactResult | undefined>;
  status(): StoreStatus;
  observe(observer: StoreObserver): void;
  /**
   * Optional: calls `listener` soon after another instance may have committed (the caller then
   * refresh()es and observers see the changes); returns the function that stops it. Must cost
   * nothing while nothing changes (no polling loop). Without it, other instances' changes are
   * seen at the next refresh().
   */
  watch?(listener: () => void): () => void;
  /** Optional: inspection and repairs (see StoreMaintenance). */
  readonly maintenance?: StoreMaintenance;
  /**
   * Optional: the state's checkpoint (see StoreCheckpoint), or undefined when it cannot be named
   * (no base file, a base whose checksum did not hold, a log being replaced). Synchronous, so
   * that what is derived from the state in the same tick matches it.
   */
  checkpoint?(): StoreCheckpoint | undefined;
  /** Optional, with checkpoint: whether the stored data still continues `p` (reads the log's first bytes). */
  continues?(p: StoreCheckpoint): boolean;
  /** Commits what is queued and releases what the backend holds; writes after it are refused. */
  close(): Promise<void>;
}
