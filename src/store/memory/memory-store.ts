/**
 * The in-memory backend: the smallest implementation of the Backend contract, for tests of the
 * service and the doors that need no files. Nothing survives the process.
 *
 * Instances opened on one `MemorySpace` share it the way processes share a JSON store: every
 * commit appends its changes to the space's ordered log, and `refresh()` applies what other
 * instances appended since, so a second instance follows the first exactly as a database
 * backend follows its change feed. A transaction runs synchronously against the freshest state
 * and commits at once, which is what makes it serializable in a single-threaded process.
 */
import type { Entry } from "../../domain/entry.js";
import { MemoryError } from "../../domain/errors.js";
import type {
  Backend,
  Change,
  CompactResult,
  StoreObserver,
  StoreStatus,
  TxView,
  WriteOptions,
} from "../backend.js";

type Op = { op: "put"; entry: Entry } | { op: "del"; namespace: string; key: string };

/** One committed transaction: its changes, applied together. */
interface Commit {
  ops: Op[];
}

/** What instances of the in-memory backend share: the ordered log of every commit. */
export class MemorySpace {
  readonly log: Commit[] = [];
  generation = 0;
}

export interface MemoryStoreOptions {
  /** The store to share; a new, empty one by default. */
  space?: MemorySpace;
  /** Entries compaction may drop (expired ones). */
  isExpired?: (entry: Entry, now: number) => boolean;
  /** The store's clock; Date.now by default (one process: there is no other clock to agree with). */
  now?: () => number;
}

export class MemoryStore implements Backend {
  readonly space: MemorySpace;
  private readonly options: MemoryStoreOptions;
  private state = new Map<string, Map<string, Entry>>();
  private count = 0;
  private _revision = 0;
  /** Commits of the space applied here so far. */
  private applied = 0;
  private observers: StoreObserver[] = [];
  private opened = false;
  private closed = false;

  constructor(options: MemoryStoreOptions = {}) {
    this.space = options.space ?? new MemorySpace();
    this.options = options;
  }

  async open(): Promise<void> {
    this.opened = true;
    this.state = new Map();
    this.count = 0;
    this.applied = 0;
    // Loaded quietly, then announced once, as the JSON store does on its first load.
    const observers = this.observers;
    this.observers = [];
    this.catchUp();
    this.observers = observers;
    this._revision++;
    for (const o of this.observers) o.reset();
  }

  now(): number {
    return this.options.now?.() ?? Date.now();
  }

  refresh(): void {
    if (this.opened && !this.closed) this.catchUp();
  }

  get(namespace: string, key: string): Entry | undefined {
    return this.state.get(namespace)?.get(key);
  }

  namespace(namespace: string): ReadonlyMap<string, Entry> | undefined {
    return this.state.get(namespace);
  }

  namespaces(): string[] {
    return [...this.state.keys()].filter((ns) => (this.state.get(ns)?.size ?? 0) > 0).sort();
  }

  *entries(): IterableIterator<Entry> {
    for (const byKey of this.state.values()) yield* byKey.values();
  }

  get size(): number {
    return this.count;
  }

  get revision(): number {
    return this._revision;
  }

  async write<R>(fn: (tx: TxView) => R, _options: WriteOptions = {}): Promise<R> {
    // Every commit here is atomic: nothing in memory can be half-written.
    if (this.closed) throw new MemoryError("UNAVAILABLE", "the store is closed");
    this.catchUp();
    const staged = new Map<string, Entry | null>();
    const ops: Op[] = [];
    const view: TxView = {
      now: this.now(),
      get: (namespace, key) => {
        const id = slot(namespace, key);
        return staged.has(id) ? (staged.get(id) ?? undefined) : this.get(namespace, key);
      },
      put: (entry) => {
        staged.set(slot(entry.namespace, entry.key), entry);
        ops.push({ op: "put", entry });
      },
      del: (namespace, key) => {
        staged.set(slot(namespace, key), null);
        ops.push({ op: "del", namespace, key });
      },
    };
    const value = fn(view); // a throw writes nothing: the staged changes are dropped with it
    if (ops.length > 0) this.commit({ ops });
    return value;
  }

  async compact(_reason?: string): Promise<CompactResult> {
    if (this.closed) throw new MemoryError("UNAVAILABLE", "the store is closed");
    this.catchUp();
    const now = this.now();
    const isExpired = this.options.isExpired;
    const dropped = isExpired ? [...this.entries()].filter((e) => isExpired(e, now)) : [];
    if (dropped.length > 0) {
      this.commit({ ops: dropped.map((e) => ({ op: "del", namespace: e.namespace, key: e.key })) });
    }
    this.space.generation++;
    return { generation: this.space.generation, entries: this.count, dropped: dropped.length, bytes: 0 };
  }

  status(): StoreStatus {
    return {
      generation: this.space.generation,
      entries: this.count,
      journalBytes: 0,
      journalRecords: this.space.log.length,
      snapshotBytes: 0,
      revision: this._revision,
      problems: [],
    };
  }

  observe(observer: StoreObserver): void {
    this.observers.push(observer);
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  private commit(commit: Commit): void {
    this.space.log.push(commit);
    this.catchUp();
  }

  /** Applies every commit of the space this instance has not applied yet, in order. */
  private catchUp(): void {
    const log = this.space.log;
    while (this.applied < log.length) {
      const commit = log[this.applied++] as Commit;
      for (const op of commit.ops) {
        if (op.op === "put") this.applyPut(op.entry);
        else this.applyDel(op.namespace, op.key);
      }
    }
  }

  private applyPut(entry: Entry): void {
    let byKey = this.state.get(entry.namespace);
    if (!byKey) {
      byKey = new Map();
      this.state.set(entry.namespace, byKey);
    }
    const previous = byKey.get(entry.key);
    byKey.set(entry.key, entry);
    if (!previous) this.count++;
    this._revision++;
    this.emit(previous ? { kind: "put", entry, previous } : { kind: "put", entry });
  }

  private applyDel(namespace: string, key: string): void {
    const byKey = this.state.get(namespace);
    const entry = byKey?.get(key);
    if (!byKey || !entry) return;
    byKey.delete(key);
    this.count--;
    this._revision++;
    this.emit({ kind: "del", entry });
  }

  private emit(change: Change): void {
    for (const o of this.observers) o.applied(change);
  }
}

function slot(namespace: string, key: string): string {
  return `${namespace}\u0000${key}`;
}
