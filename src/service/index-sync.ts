/**
 * Keeps the search index in step with the store. The index is built in the background at open
 * (in slices that yield to the event loop, on worker threads for large stores with
 * batchtools.parallelIndexing), so the bank answers stores and key lookups as soon as the store
 * is loaded. Every change the store applies, this process's or replayed from another one,
 * reaches the index through the store's observer: at once, or (performance.parallelIndexUpdate)
 * recorded and applied in bulk before the next search. Changes applied while the index builds
 * wait and are applied when it is installed.
 *
 * Where the store can name its checkpoint (the JSON store), the complete index is also saved
 * beside it (index-segment.ts) and the next open loads it instead of building: the changes the
 * store replayed at open (its journal) are recorded from its first load on and applied to the
 * loaded index, exactly as changes that arrive during a build are.
 */
import type { MemoryConfig } from "../config/config.js";
import { VERSION } from "../config/version.js";
import type { Entry } from "../domain/entry.js";
import { errorMessage } from "../domain/errors.js";
import { expiryOf, type Retention } from "../domain/retention.js";
import { type IndexBuild, type SearchDoc, SearchIndex } from "../search/api.js";
import type { Change, StoreCheckpoint } from "../store/backend.js";
import { loadSegment, rulesOf, type SegmentMeta, saveSegment } from "./index-segment.js";

/** Below this many entries the index is built on the main thread even with parallelIndexing. */
const PARALLEL_BUILD_MIN_ENTRIES = 50_000;

export interface IndexSyncOptions {
  config: MemoryConfig;
  retention: Retention;
  /** Every stored entry, for builds. */
  entries: () => Iterable<Entry>;
  log: (message: string) => void;
  /** Where the index is saved and what it is checked against; without it nothing is saved. */
  segment?: {
    file: string;
    checkpoint: () => StoreCheckpoint | undefined;
    continues: (checkpoint: StoreCheckpoint) => boolean;
    /** Entries stored: a loaded index must hold as many documents. */
    count: () => number;
    /** The store's generation: a new one (a compaction) means the saved index is stale. */
    generation: () => number;
    /** Bytes of the journal applied (the store's journalBytes). */
    logBytes: () => number;
    /** False for a read-only bank: the saved index is used, never written. */
    writable: boolean;
  };
}

export class IndexSync {
  private index: SearchIndex | undefined;
  /** The build running in the background since start(), until it is installed. */
  private build: IndexBuild | undefined;
  /** Changes applied to the store but not yet to the index. */
  private readonly pending = new Map<string, Change>();
  /** From the store's first load until start(): changes are kept for a saved index to catch up on. */
  private tracking = false;
  /** The store's generation when the index was last saved, tried or loaded: a new one means a compaction since. */
  private savedGeneration: number | undefined;
  /** The journal bytes the saved index holds (its checkpoint's), for `save({ caughtUp })`. */
  private savedLogBytes = 0;
  private saving: Promise<void> | undefined;
  private saveSoon: NodeJS.Immediate | undefined;

  constructor(private readonly options: IndexSyncOptions) {}

  /** A change the store applied (Backend.observe). */
  applied(change: Change): void {
    if (!this.index && !this.build && !this.tracking) return;
    // While the index builds (from a snapshot of the store) or is not made yet (tracking), changes
    // wait and are applied after.
    if (this.build || this.tracking || this.options.config.performance.parallelIndexUpdate) {
      // Deferred: the write path only records the change; the next search applies them all.
      this.pending.set(`${change.entry.namespace}\u0000${change.entry.key}`, change);
      return;
    }
    this.apply(change);
  }

  /** The store's whole state was replaced (recovery): rebuild what exists. */
  reset(): void {
    if (this.index || this.build) this.rebuildNow();
    else if (this.options.segment && this.options.config.indexing) {
      // The first load: what is replayed after it is what a saved index has to catch up on.
      this.pending.clear();
      this.tracking = true;
    }
  }

  /**
   * Makes the index: from the saved one when `saved` (the segment file's bytes, see
   * index-segment.ts's prefetchSegment) is a segment the store still continues, else by a
   * background build from a snapshot of the entries; changes applied meanwhile wait in
   * `pending` and are applied when it is installed.
   */
  async start(saved?: Promise<Buffer | undefined>): Promise<void> {
    const segment = this.options.segment;
    if (segment && saved) {
      let reason: string | undefined;
      try {
        const bytes = await saved;
        if (bytes !== undefined) {
          const loaded = loadSegment(
            bytes,
            { rules: rulesOf(this.options.retention), continues: segment.continues },
            { cacheSize: this.options.config.cacheSize },
          );
          if ("index" in loaded) {
            this.tracking = false;
            this.index = loaded.index;
            // What the journal replayed up to the checkpoint is in the saved index already.
            const held = loaded.meta.checkpoint.logBytes;
            for (const [id, change] of this.pending) {
              if (change.at !== undefined && change.at <= held) this.pending.delete(id);
            }
            this.savedLogBytes = held;
            this.flush();
            if (loaded.index.size === segment.count()) {
              this.savedGeneration = segment.generation();
              return;
            }
            this.index = undefined;
            reason = `it holds ${loaded.index.size} documents where the store holds ${segment.count()}`;
          } else reason = loaded.reason;
        }
      } catch (error) {
        reason = `it could not be read (${errorMessage(error)})`;
      }
      if (reason)
        this.options.log(`the saved search index ${segment.file} was not used: ${reason}; building it`);
    }
    this.tracking = false;
    this.pending.clear();
    this.startBuild();
  }

  /** Starts the background build; saves the index once it is installed. */
  private startBuild(): void {
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
        if (this.build !== build) return;
        this.install(index);
        // After the callers waiting for this index have had their answers.
        this.saveLater();
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
    this.tracking = false;
    if (this.saveSoon) clearImmediate(this.saveSoon);
    this.saveSoon = undefined;
  }

  /**
   * Saves the complete index for the store's checkpoint, unless it was saved (or loaded)
   * since the store's last compaction: the journal written after a checkpoint is replayed onto
   * the saved index at the next open, so only a new snapshot makes a saved index stale.
   * `caughtUp`: save anyway when the journal has grown by more than this many bytes since (a
   * process that exits saves the next one that catch-up, which costs more than the save). The
   * index is encoded in this tick, right after the pending changes are applied, so it is
   * exactly the state at the checkpoint.
   */
  save(options: { caughtUp?: number } = {}): void {
    const segment = this.options.segment;
    if (!segment?.writable || !this.index || this.build || this.saving) return;
    const generation = segment.generation();
    const behind = segment.logBytes() - this.savedLogBytes;
    if (this.savedGeneration === generation && !(options.caughtUp !== undefined && behind > options.caughtUp))
      return;
    this.savedGeneration = generation;
    this.flush();
    const checkpoint = segment.checkpoint();
    if (checkpoint === undefined) return;
    this.savedLogBytes = checkpoint.logBytes;
    const meta: SegmentMeta = {
      version: VERSION,
      rules: rulesOf(this.options.retention),
      checkpoint,
      docs: this.index.size,
    };
    const saving = saveSegment(segment.file, this.index, meta).then(
      () => {},
      (error: unknown) =>
        this.options.log(`saving the search index to ${segment.file} failed: ${errorMessage(error)}`),
    );
    this.saving = saving;
    saving.then(() => {
      if (this.saving === saving) this.saving = undefined;
    });
  }

  /** Resolves once a save in progress has finished (close waits for it: no half-written temp file). */
  async saved(): Promise<void> {
    await this.saving;
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
    this.saveAfterCompaction();
    // While the index builds, changes stay pending: install applies them.
    if (this.pending.size === 0 || !this.index) return;
    for (const change of this.pending.values()) this.apply(change);
    this.pending.clear();
  }

  /** A compaction (ours or another process's) made a new snapshot: save the index for it soon. */
  private saveAfterCompaction(): void {
    const segment = this.options.segment;
    if (!segment || this.savedGeneration === undefined || this.saveSoon || this.saving) return;
    if (segment.generation() === this.savedGeneration) return;
    this.saveLater();
  }

  private saveLater(): void {
    if (this.saveSoon) return;
    this.saveSoon = setImmediate(() => {
      this.saveSoon = undefined;
      this.save();
    });
    this.saveSoon.unref();
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
