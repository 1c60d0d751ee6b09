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
import type { Backend, CompactResult, StoreObserver, StoreStatus, TxView, WriteOptions } from "../backend.js";
import { EntryState } from "../entry-state.js";

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
  private readonly state = new EntryState();
  /** Commits of the space applied here so far. */
  private applied = 0;
  private opened = false;
  private closed = false;

  constructor(options: MemoryStoreOptions = {}) {
    this.space = options.space ?? new MemorySpace();
    this.options = options;
  }

  async open(): Promise<void> {
    this.opened = true;
    // Loaded quietly, then announced once, as the JSON store does on its first load.
    const loaded = new EntryState();
    for (const commit of this.space.log) applyCommit(loaded, commit);
    this.applied = this.space.log.length;
    this.state.load(loaded.entries(), "reset");
  }

  now(): number {
    return this.options.now?.() ?? Date.now();
  }

  refresh(): void {
    if (this.opened && !this.closed) this.catchUp();
  }

  get(namespace: string, key: string): Entry | undefined {
    return this.state.get(namespace, key);
  }

  namespace(namespace: string): ReadonlyMap<string, Entry> | undefined {
    return this.state.namespace(namespace);
  }

  namespaces(): string[] {
    return this.state.namespaces();
  }

  entries(): IterableIterator<Entry> {
    return this.state.entries();
  }

  get size(): number {
    return this.state.size;
  }

  get revision(): number {
    return this.state.revision;
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
    return { generation: this.space.generation, entries: this.state.size, dropped: dropped.length, bytes: 0 };
  }

  status(): StoreStatus {
    return {
      generation: this.space.generation,
      entries: this.state.size,
      journalBytes: 0,
      journalRecords: this.space.log.length,
      snapshotBytes: 0,
      revision: this.state.revision,
      problems: [],
    };
  }

  observe(observer: StoreObserver): void {
    this.state.observe(observer);
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
      applyCommit(this.state, log[this.applied++] as Commit);
    }
  }
}

function applyCommit(state: EntryState, commit: Commit): void {
  for (const op of commit.ops) {
    if (op.op === "put") state.put(op.entry);
    else state.del(op.namespace, op.key);
  }
}

function slot(namespace: string, key: string): string {
  return `${namespace}\u0000${key}`;
}
