/**
 * Keeps the search index in step with the store. The index is built in the background at open
 * (in slices that yield to the event loop, on worker threads for large stores with
 * batchtools.parallelIndexing), so the bank answers stores and key lookups as soon as the store
 * is loaded. Every change the store applies, this process's or replayed from another one,
 * reaches the index through the store's observer: at once, or (performance.parallelIndexUpdate)
 * recorded and applied in bulk before the next search. Changes applied while the index builds
 * wait and are applied when it is installed.
 */
import type { MemoryConfig } from "../config/config.js";
import type { Entry } from "../domain/entry.js";
import { expiryOf, type Retention } from "../domain/retention.js";
import { type IndexBuild, type SearchDoc, SearchIndex } from "../search/api.js";
import type { Change } from "../store/backend.js";

/** Below this many entries the index is built on the main thread even with parallelIndexing. */
const PARALLEL_BUILD_MIN_ENTRIES = 50_000;

export interface IndexSyncOptions {
  config: MemoryConfig;
  retention: Retention;
  /** Every stored entry, for builds. */
  entries: () => Iterable<Entry>;
  log: (message: string) => void;
}

export class IndexSync {
  private index: SearchIndex | undefined;
  /** The build running in the background since start(), until it is installed. */
  private build: IndexBuild | undefined;
  /** Changes applied to the store but not yet to the index. */
  private readonly pending = new Map<string, Change>();

  constructor(private readonly options: IndexSyncOptions) {}

  /** A change the store applied (Backend.observe). */
  applied(change: Change): void {
    if (!this.index && !this.build) return;
    // While the index builds (from a snapshot of the store), changes wait and are applied after.
    if (this.build || this.options.config.performance.parallelIndexUpdate) {
      // Deferred: the write path only records the change; the next search applies them all.
      this.pending.set(`${change.entry.namespace}\u0000${change.entry.key}`, change);
      return;
    }
    this.apply(change);
  }

  /** The store's whole state was replaced (recovery): rebuild what exists. */
  reset(): void {
    if (this.index || this.build) this.rebuildNow();
  }

  /**
   * Starts the background build from a snapshot of the entries; changes applied meanwhile wait
   * in `pending` and are applied when it is installed.
   */
  start(): void {
    const entries = [...this.options.entries()];
    // Worker threads cost more to start than a small index costs to build on this thread.
    const parallel =
      this.options.config.batchtools.parallelIndexing && entries.length >= PARALLEL_BUILD_MIN_ENTRIES;
    const build = SearchIndex.startBuild(
      mapped(entries, (e) => this.toDoc(e)),
      { parallel, cacheSize: this.options.config.cacheSize },
    );
    this.build = build;
    build.ready.then(
      (index) => {
        if (this.build === build) this.install(index);
      },
      (error: Error) => {
        if (this.build !== build) return; // cancelled by a rebuild or stop()
        this.options.log(`index build failed (${error.message}); rebuilding on this thread`);
        this.rebuildNow();
      },
    );
  }

  /** True while the index is still being built in the background (see ready). */
  get building(): boolean {
    return this.build !== undefined;
  }

  /**
   * The complete, up-to-date index, finishing a background build on this thread first if one is
   * still running (a synchronous reader cannot wait for it); undefined when indexing is off.
   */
  current(): SearchIndex | undefined {
    if (this.build) this.install(this.build.finishNow());
    this.flush();
    return this.index;
  }

  /** The index as it is, without finishing a build or applying pending changes (cache statistics). */
  get installed(): SearchIndex | undefined {
    return this.index;
  }

  /**
   * Resolves once the index is complete (at once when it is, or when indexing is off). Callers
   * that need the whole index without blocking the event loop await this.
   */
  async ready(): Promise<void> {
    const build = this.build;
    if (!build) return;
    try {
      const index = await build.ready;
      if (this.build === build) this.install(index);
    } catch {
      // Cancelled or failed: a rebuild has replaced it (see start).
    }
  }

  /** Rebuilds the index from the store on this thread (recovery, index-validate --repair). */
  rebuildNow(): void {
    this.build?.cancel();
    this.build = undefined;
    this.pending.clear();
    this.index = SearchIndex.startBuild(
      mapped([...this.options.entries()], (e) => this.toDoc(e)),
      { cacheSize: this.options.config.cacheSize },
    ).finishNow();
  }

  stop(): void {
    this.build?.cancel();
    this.build = undefined;
  }

  private install(index: SearchIndex): void {
    this.build = undefined;
    this.index = index;
    this.flush();
  }

  private apply(change: Change): void {
    if (!this.index) return;
    if (change.kind === "put") this.index.upsert(this.toDoc(change.entry));
    else this.index.remove(change.entry.namespace, change.entry.key);
  }

  /** Brings the index up to date with every applied change; called before each search. */
  private flush(): void {
    // While the index builds, changes stay pending: install applies them.
    if (this.pending.size === 0 || !this.index) return;
    for (const change of this.pending.values()) this.apply(change);
    this.pending.clear();
  }

  private toDoc(e: Entry): SearchDoc {
    return toSearchDoc(e, this.options.retention);
  }
}

/** What the search index sees of an entry; expiry resolved from its TTL or its namespace's retention. */
export function toSearchDoc(e: Entry, rules?: Retention): SearchDoc {
  const expiresAt = rules ? expiryOf(e, rules) : e.expiresAt ? Date.parse(e.expiresAt) : undefined;
  return {
    namespace: e.namespace,
    key: e.key,
    value: e.value,
    tags: e.tags,
    type: e.type,
    updatedAt: Date.parse(e.updatedAt),
    ...(expiresAt !== undefined ? { expiresAt } : {}),
  };
}

/** `items` mapped lazily, one at a time (an index build reads its documents slice by slice). */
function* mapped<T, U>(items: readonly T[], fn: (item: T) => U): Generator<U> {
  for (const item of items) yield fn(item);
}
