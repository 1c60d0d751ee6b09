/**
 * MemoryBank: the one service behind every door (the MCP tools, the CLI verbs), and the only
 * door to the data. The backend is private: reads go through `read()` (one refresh, expiry
 * applied in one place, reads.ts), writes through `transact()` (writes.ts); the search index is
 * kept in step by index-sync.ts and queries are answered by query/. This file only wires those
 * parts together and offers them as one small API. Every rule about entries lives in the
 * service or below it, never in a door.
 */
import {
  type BackendKind,
  type ConfigOverrides,
  type LoadedConfig,
  type MemoryConfig,
  withOverrides,
} from "../config/config.js";
import { projectId } from "../config/project.js";
import type { Entry } from "../domain/entry.js";
import { DEFAULT_NAMESPACE } from "../domain/entry.js";
import { errorMessage } from "../domain/errors.js";
import { isExpired, type Retention, retentionOf } from "../domain/retention.js";
import type { SearchIndex } from "../search/api.js";
import type {
  Backend,
  Change,
  CompactResult,
  StorageInspection,
  StorageUsage,
  StoreCheckpoint,
  StoreMaintenance,
  StoreStatus,
  WriteOptions,
} from "../store/backend.js";
import { backendLocation, createBackend } from "../store/create.js";
import { type StoreLayout, storeLayout } from "../store/layout.js";
import { type MigrateReport, migrateStore } from "../store/migrate.js";
import { DuplicateIndex } from "./duplicates.js";
import { SemanticIndex } from "./embeddings/semantic.js";
import { prefetchSegment } from "./index-segment.js";
import { IndexSync } from "./index-sync.js";
import type { BatchStoreInput, BatchStoreOutput } from "./operations/batch-store.js";
import type { OperationContext } from "./operations/operation.js";
import type { ParallelQueryInput, ParallelQueryOutput } from "./operations/parallel-query.js";
import type { QueryInput, QueryOutput } from "./operations/query.js";
import type { StoreInput, StoreOutput } from "./operations/store.js";
import type { ResponseOptions } from "./query/page.js";
import { Queries } from "./query/queries.js";
import { readStore, type StoreRead } from "./reads.js";
import { batchStore, storeEntry, Transaction, type WriteContext } from "./writes.js";

export interface MemoryBankOptions {
  log?: (message: string) => void;
  /** The backend to use instead of the one the config names (tests: the in-memory store). */
  backend?: Backend;
  /** Rebuild an unreadable snapshot from the journals even without a backup (explicit repair). */
  rebuildWithoutBackup?: boolean;
  /** Settings imposed over the config file's for this run (the CLI's --batchtools, --parallel). */
  overrides?: ConfigOverrides;
  /**
   * Only reads follow: a store that does not exist yet is read as empty, nothing is created, and
   * close() leaves the files as they are (no compaction, no saved index).
   */
  readOnly?: boolean;
}

/** What a change listener hears: one applied change, or `reset` when the whole state was replaced (recovery). */
export type BankChange = Change | { kind: "reset" };

/** At close, the saved index is saved again when the journal has grown by more than this since. */
const SAVE_AT_CLOSE_AFTER_BYTES = 1 << 20;

export class MemoryBank {
  readonly config: MemoryConfig;
  readonly projectDir: string;
  readonly dataPath: string;
  /** Where the store keeps its files (store/layout.ts). */
  readonly layout: StoreLayout;
  /** The config file in use (undefined when running on defaults). */
  readonly configFile: string | undefined;
  /** What was odd about the config (unknown fields), as loaded. */
  readonly configWarnings: readonly string[];
  /** This project's retention rules: its policies, and its id as stamped on what it writes. */
  readonly retention: Retention;
  private readonly store: Backend;
  private readonly index: IndexSync;
  private readonly queries: Queries;
  private readonly writes: WriteContext;
  private readonly duplicates: DuplicateIndex;
  /** Embeddings (memory.embeddings.enabled): semantic mode, fused into hybrid. */
  private semantic: SemanticIndex | undefined;
  private readonly log: (message: string) => void;
  private readonly changeListeners = new Set<(change: BankChange) => void>();
  private stopWatching: (() => void) | undefined;

  private constructor(loaded: LoadedConfig, options: MemoryBankOptions) {
    this.config = withOverrides(loaded.memory, options.overrides);
    this.projectDir = loaded.projectDir;
    this.dataPath = loaded.dataPath;
    this.layout = storeLayout(loaded.dataPath);
    this.configFile = loaded.file;
    this.configWarnings = loaded.warnings;
    this.retention = retentionOf(this.config, projectId(loaded.projectDir));
    this.log = options.log ?? ((m) => process.stderr.write(`memory-bank: ${m}\n`));
    this.store =
      options.backend ?? MemoryBank.backendFor({ ...loaded, memory: this.config }, this.log, options);
    const store = this.store;
    this.index = new IndexSync({
      config: this.config,
      retention: this.retention,
      entries: () => store.entries(),
      log: this.log,
      ...(store.checkpoint && store.continues
        ? {
            segment: {
              file: this.layout.indexSegment,
              checkpoint: () => store.checkpoint?.(),
              continues: (c: StoreCheckpoint) => store.continues?.(c) ?? false,
              count: () => store.size,
              generation: () => store.status().generation,
              logBytes: () => store.status().journalBytes,
              writable: options.readOnly !== true,
            },
          }
        : {}),
    });
    this.queries = new Queries({
      read: () => this.read(),
      index: this.index,
      semantic: () => this.semantic,
      concurrentQueries: this.config.performance.concurrentQueries,
      log: this.log,
    });
    this.duplicates = new DuplicateIndex(() => this.store.entries());
    this.writes = {
      config: this.config,
      retention: this.retention,
      transact: (fn, writeOptions) => this.transact(fn, writeOptions),
      duplicates: this.duplicates,
    };
  }

  private static backendFor(
    loaded: LoadedConfig,
    log: (message: string) => void,
    options: Pick<MemoryBankOptions, "rebuildWithoutBackup" | "readOnly"> = {},
  ): Backend {
    const rules = retentionOf(loaded.memory, projectId(loaded.projectDir));
    return createBackend(loaded, {
      isExpired: (e, now) => isExpired(e, rules, now),
      log,
      ...(options.rebuildWithoutBackup ? { rebuildWithoutBackup: true } : {}),
      ...(options.readOnly ? { readOnly: true } : {}),
    });
  }

  static async open(loaded: LoadedConfig, options: MemoryBankOptions = {}): Promise<MemoryBank> {
    const bank = new MemoryBank(loaded, options);
    bank.store.observe({
      applied: (change) => {
        bank.semantic?.changed(change.kind, change.entry.namespace, change.entry.key);
        bank.index.applied(change);
        bank.duplicates.applied(change);
        bank.tell(change);
      },
      // The first load builds the index below (in parallel); later resets come from recovery.
      reset: () => {
        bank.index.reset();
        bank.duplicates.reset();
        bank.semantic?.reset(bank.store.entries());
        bank.tell({ kind: "reset" });
      },
    });
    // The saved index is read while the store loads (one read on the thread pool).
    const saved =
      bank.config.indexing && bank.store.checkpoint
        ? prefetchSegment(bank.layout.indexSegment).catch((error: unknown) => {
            bank.log(`the saved search index could not be read (${errorMessage(error)}); building it`);
            return undefined;
          })
        : undefined;
    await bank.store.open();
    // A run that only reads writes nothing at its close either: the journal is folded by the
    // next process that writes (or by the running bank server, past its threshold).
    if (options.readOnly) bank.store.maintenance?.keepAsIsAtClose();
    if (bank.config.indexing) await bank.index.start(saved);
    if (bank.config.embeddings.enabled) {
      // Never blocks the start on the endpoint: entries are embedded in the background.
      bank.semantic = await SemanticIndex.open(
        {
          config: bank.config.embeddings,
          dataPath: bank.dataPath,
          source: (ns, key) => bank.store.get(ns, key),
          concurrency: bank.config.batchtools.enabled ? Math.min(4, bank.config.batchtools.maxConcurrent) : 1,
          fsync: bank.config.store.fsync,
          log: bank.log,
        },
        bank.store.entries(),
      );
    }
    return bank;
  }

  /**
   * Checks the stored data of the store the config names without opening it (opening repairs
   * what it can by itself): undefined when its backend offers no inspection.
   */
  static async inspectStorage(loaded: LoadedConfig): Promise<StorageInspection | undefined> {
    return MemoryBank.backendFor(loaded, () => {}).maintenance?.inspect();
  }

  /**
   * Copies the whole store of one backend into the empty store of another, each where the config
   * says (memory.path; memory.postgres and the environment), whatever memory.backend names, and
   * checks the copy by counts and checksums (store/migrate.ts). Neither store is served by this
   * bank: a migration is entries moved as they are, with no service rule applied on the way.
   */
  static async migrate(
    loaded: LoadedConfig,
    from: BackendKind,
    to: BackendKind,
    options: { log?: (message: string) => void; onProgress?: (done: number, total: number) => void } = {},
  ): Promise<MigrateReport & { from: string; to: string }> {
    const log = options.log ?? (() => {});
    const at = (backend: BackendKind): LoadedConfig => ({ ...loaded, memory: { ...loaded.memory, backend } });
    const source = MemoryBank.backendFor(at(from), log);
    const target = MemoryBank.backendFor(at(to), log);
    await source.open();
    try {
      await target.open();
      try {
        const report = await migrateStore(source, target, options.onProgress);
        return { from: backendLocation(at(from)), to: backendLocation(at(to)), ...report };
      } finally {
        await target.close();
      }
    } finally {
      await source.close();
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Reading and writing: the only ways to the data

  /** The store as of now, with what other processes committed: see reads.ts. */
  read(): StoreRead {
    return readStore(this.store, this.retention);
  }

  /** The store's clock (epoch ms), which every process sharing the store agrees on. */
  now(): number {
    return this.store.now();
  }

  /**
   * Runs `fn` as one write transaction against the freshest state (under the writer lock for
   * the JSON store); `atomic` commits all of its changes as one record. See writes.ts.
   */
  transact<R>(fn: (tx: Transaction) => R, options?: WriteOptions): Promise<R> {
    return this.store.write((tx) => fn(new Transaction(tx, this.retention)), options);
  }

  /** The live entry under a key, or undefined. */
  get(key: string, namespace = DEFAULT_NAMESPACE): Entry | undefined {
    return this.read().get(namespace, key);
  }

  storeEntry(input: StoreInput): Promise<StoreOutput> {
    return storeEntry(this.writes, input);
  }

  /**
   * batch_store; `preserve` (import and restore) keeps each raw entry's id, timestamps, expiry
   * and version when it carries them.
   */
  batchStore(
    input: BatchStoreInput,
    progress: OperationContext = {},
    options: { preserve?: boolean } = {},
  ): Promise<BatchStoreOutput> {
    return batchStore(this.writes, input, progress, options);
  }

  // ---------------------------------------------------------------------------------------------
  // The change feed (resource subscriptions)

  /**
   * Calls `listener` with every change applied to the store, this process's and every other
   * process's, in commit order; returns the function that stops it. While any listener is
   * registered, other processes' commits are followed as they happen where the backend can tell
   * (Backend.watch: a file-system watch for the JSON store, no polling); without that, they are
   * heard at this process's next read.
   */
  onChange(listener: (change: BankChange) => void): () => void {
    this.changeListeners.add(listener);
    if (!this.stopWatching && this.store.watch) {
      this.stopWatching = this.store.watch(() => {
        try {
          this.store.refresh(); // applies the new commits: observers, then listeners, hear them
        } catch (error) {
          this.log(
            `following another process's write failed (retried at the next change): ${errorMessage(error)}`,
          );
        }
      });
    }
    return () => {
      this.changeListeners.delete(listener);
      if (this.changeListeners.size === 0) {
        this.stopWatching?.();
        this.stopWatching = undefined;
      }
    };
  }

  private tell(change: BankChange): void {
    for (const listener of this.changeListeners) {
      try {
        listener(change);
      } catch (error) {
        this.log(`a change listener failed: ${errorMessage(error)}`);
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Queries (query/queries.ts)

  /** memory_query, every mode: waits for a running index build and for the embedding endpoint. */
  query(input: QueryInput, options: ResponseOptions = {}): Promise<QueryOutput> {
    return this.queries.query(input, options);
  }

  /** Every mode but semantic, answered without waiting (a running index build is finished here). */
  querySync(input: QueryInput, options: ResponseOptions = {}): QueryOutput {
    return this.queries.querySync(input, options);
  }

  parallelQuery(input: ParallelQueryInput, progress: OperationContext = {}): Promise<ParallelQueryOutput> {
    return this.queries.parallelQuery(input, progress);
  }

  // ---------------------------------------------------------------------------------------------
  // The search index (index-sync.ts)

  /** The complete, up-to-date index (a running build is finished on this thread); undefined when indexing is off. */
  get searchIndex(): SearchIndex | undefined {
    return this.index.current();
  }

  /** True while the search index is still being built in the background (see indexReady). */
  get indexBuilding(): boolean {
    return this.index.building;
  }

  /** Resolves once the search index is complete, without blocking the event loop. */
  indexReady(): Promise<void> {
    return this.index.ready();
  }

  /** Rebuilds the search index from the store (index-validate --repair). */
  rebuildIndex(): void {
    if (this.config.indexing) this.index.rebuildNow();
  }

  /**
   * The one result cache: the index's generation-keyed LRU of `cacheSize` entries. It sits below
   * the service because only the index knows what makes an answer stale: its generation moves
   * with every applied change (ours or replayed from another process), and each entry also
   * records the earliest expiry among the documents it considered, so an entry that expires
   * between two identical queries is not served from cache. A service-level cache keyed by the
   * store revision alone would miss that.
   */
  get cacheStats() {
    return this.index.installed?.cacheStats ?? { hits: 0, misses: 0, size: 0 };
  }

  /** Embedding state (memory.embeddings.enabled), for stats and tests. */
  get embeddings(): { vectors: number; pending: number; file: string } | undefined {
    const s = this.semantic;
    return s ? { vectors: s.size, pending: s.pending, file: s.file } : undefined;
  }

  // ---------------------------------------------------------------------------------------------
  // The storage, for the admin operations

  status(): StoreStatus {
    return this.store.status();
  }

  /** Folds the store's history into a new whole state, where the backend can (Backend.compact). */
  async compact(reason: string): Promise<CompactResult | undefined> {
    return this.store.compact?.(reason);
  }

  /** Inspection and repairs, where the backend offers them (Backend.maintenance). */
  get maintenance(): StoreMaintenance | undefined {
    return this.store.maintenance;
  }

  /** Bytes on disk, where the backend tells (zeros otherwise). */
  async storageUsage(): Promise<StorageUsage> {
    return (await this.store.maintenance?.usage()) ?? { snapshotBytes: 0, journalBytes: 0, backupsBytes: 0 };
  }

  async close(): Promise<void> {
    this.stopWatching?.();
    this.stopWatching = undefined;
    this.changeListeners.clear();
    this.index.stop();
    await this.semantic?.close();
    await this.store.close();
    // A compaction at close made a new snapshot: the index saved for the old one would be rebuilt.
    // A journal grown by more than a megabyte since the save would be caught up on at every open.
    this.index.save({ caughtUp: SAVE_AT_CLOSE_AFTER_BYTES });
    await this.index.saved();
  }
}
