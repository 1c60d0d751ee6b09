/**
 * What the service needs from persistence. The JSON store (snapshot + journal) is the one
 * implementation today; a shared SQL backend for teams on many machines would implement the same
 * contract without touching the service, the tools or the CLI.
 */
import type { Entry } from "../domain/entry.js";

/** A change applied to the in-memory state, from this process or replayed from another one. */
export type Change = { kind: "put"; entry: Entry; previous?: Entry } | { kind: "del"; entry: Entry };

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
  compact(reason?: string): Promise<CompactResult | undefined>;
  status(): StoreStatus;
  observe(observer: StoreObserver): void;
  close(): Promise<void>;
}
