/**
 * MemoryBank: the one service behind both front doors (the MCP tools and the CLI). Every rule about
 * entries, limits, versions, expiry and search lives here or below, never in tools/ or cli.ts.
 */
import { createHash, randomUUID } from "node:crypto";
import path from "node:path";
import { deflateRawSync, inflateRawSync } from "node:zlib";
import { runBatch } from "./batch.js";
import type { LoadedConfig, MemoryConfig } from "./config.js";
import { ENABLE_HINT } from "./embeddings/client.js";
import { type Fusion, SemanticIndex } from "./embeddings/semantic.js";
import { MemoryError } from "./errors.js";
import { writeExportFile } from "./exchange.js";
import {
  type BatchStoreInput,
  type BatchStoreOutput,
  type Entry,
  type EntryRef,
  type ExportInput,
  type ExportOutput,
  type ItemError,
  MAX_DATE_MS,
  MAX_VERSION,
  NamespaceSchema,
  type OnConflict,
  type ParallelQueryInput,
  type ParallelQueryOutput,
  parseInput,
  printable,
  type QueryInput,
  type QueryOutput,
  type QueryResult,
  type StoreInput,
  StoreInputSchema,
  type StoreOutput,
  ttlToMs,
} from "./model.js";
import { refuseStoreFiles, relativeToProject, resolveInsideProject } from "./paths.js";
import { expiryOf, isExpired, projectId, type Retention, retentionOf, stampOf } from "./retention.js";
import {
  type IndexBuild,
  type SearchCursor,
  type SearchDoc,
  type SearchFilter,
  SearchIndex,
  type SearchPlan,
} from "./search/index.js";
import type { Backend, Change, TxView } from "./store/backend.js";
import { ensureDir } from "./store/files.js";
import { JsonStore } from "./store/json-store.js";
import { PostgresBackend } from "./store/postgres/backend.js";
import { resolveSettings } from "./store/postgres/settings.js";

export interface MemoryBankOptions {
  log?: (message: string) => void;
  /** Override the backend (tests); default: the JSON store at config.dataPath. */
  backend?: Backend;
  /** Rebuild an unreadable snapshot from the journals even without a backup (explicit repair). */
  rebuildWithoutBackup?: boolean;
}

export interface ProgressOptions {
  onProgress?: (done: number, total: number, message?: string) => void;
  signal?: AbortSignal;
}

const DEFAULT_NAMESPACE = "default";
/** Below this many entries the index is built on the main thread even with parallelIndexing. */
const PARALLEL_BUILD_MIN_ENTRIES = 50_000;
const DEFAULT_TYPE = "semantic";

export class MemoryBank {
  readonly config: MemoryConfig;
  readonly projectDir: string;
  readonly dataPath: string;
  /** The config file in use (undefined when running on defaults). */
  readonly configFile: string | undefined;
  /** This project's retention rules: its policies, and its id as stamped on what it writes. */
  readonly retention: Retention;
  readonly store: Backend;
  private index: SearchIndex | undefined;
  /** Embeddings (memory.embeddings.enabled): semantic mode, fused into hybrid. */
  private semantic: SemanticIndex | undefined;
  private readonly log: (message: string) => void;

  private constructor(loaded: LoadedConfig, options: MemoryBankOptions) {
    this.config = loaded.memory;
    this.projectDir = loaded.projectDir;
    this.dataPath = loaded.dataPath;
    this.configFile = loaded.file;
    this.retention = retentionOf(this.config, projectId(loaded.projectDir));
    this.log = options.log ?? ((m) => process.stderr.write(`memory-bank: ${m}\n`));
    this.store =
      options.backend ??
      (this.config.backend === "postgres"
        ? new PostgresBackend({
            settings: resolveSettings(this.config.postgres),
            fsync: this.config.store.fsync,
            exclusive: !this.config.performance.enableParallelAccess,
            isExpired: (e, now) => isExpired(e, this.retention, now),
            log: this.log,
          })
        : undefined) ??
      new JsonStore({
        dataPath: loaded.dataPath,
        fsync: this.config.store.fsync,
        compactAfterBytes: this.config.store.compactAfterBytes,
        backupsKept: this.config.store.backupsKept,
        lockStaleMs: this.config.store.lockStaleMs,
        concurrentBackups: this.config.batchtools.concurrentBackups,
        exclusive: !this.config.performance.enableParallelAccess,
        isExpired: (e, now) => isExpired(e, this.retention, now),
        ...(options.rebuildWithoutBackup ? { rebuildWithoutBackup: true } : {}),
        log: this.log,
      });
  }

  static async open(loaded: LoadedConfig, options: MemoryBankOptions = {}): Promise<MemoryBank> {
    const bank = new MemoryBank(loaded, options);
    bank.store.observe({
      applied: (change) => {
        bank.semantic?.changed(change.kind, change.entry.namespace, change.entry.key);
        if (!bank.index && !bank.indexBuild) return;
        // While the index builds (from a snapshot of the store), changes wait and are applied after.
        if (bank.indexBuild || bank.config.performance.parallelIndexUpdate) {
          // Deferred: the write path only records the change; the next search applies them all.
          bank.pendingIndex.set(`${change.entry.namespace}\u0000${change.entry.key}`, change);
          return;
        }
        bank.applyToIndex(change);
      },
      // The first load builds the index below (in parallel); later resets come from recovery.
      reset: () => {
        if (bank.index || bank.indexBuild) bank.rebuildIndexSync();
        bank.semantic?.reset(bank.store.entries());
      },
    });
    await bank.store.open();
    if (bank.config.indexing) bank.startIndexBuild();
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

  /** The index build running in the background since open(), until it is installed. */
  private indexBuild: IndexBuild | undefined;

  /**
   * Builds the index in the background, in slices that yield to the event loop (and on worker
   * threads with batchtools.parallelIndexing), so the server answers initialize, stores and
   * key lookups as soon as the store is loaded. The build reads a snapshot of the entries;
   * changes applied meanwhile wait in pendingIndex and are applied when it is installed.
   */
  private startIndexBuild(): void {
    const entries = [...this.store.entries()];
    // Worker threads cost more to start than a small index costs to build on this thread.
    const parallel = this.config.batchtools.parallelIndexing && entries.length >= PARALLEL_BUILD_MIN_ENTRIES;
    const build = SearchIndex.startBuild(
      mapped(entries, (e) => this.toDoc(e)),
      { parallel, cacheSize: this.config.cacheSize },
    );
    this.indexBuild = build;
    build.ready.then(
      (index) => {
        if (this.indexBuild === build) this.installIndex(index);
      },
      (error: Error) => {
        if (this.indexBuild !== build) return; // cancelled by a rebuild or close()
        this.log(`index build failed (${error.message}); rebuilding on this thread`);
        this.rebuildIndexSync();
      },
    );
  }

  private installIndex(index: SearchIndex): void {
    this.indexBuild = undefined;
    this.index = index;
    this.flushIndex();
  }

  /**
   * The complete index, finishing a background build on this thread first if one is still
   * running (a synchronous reader cannot wait for it); undefined when indexing is off.
   */
  private ensureIndex(): SearchIndex | undefined {
    if (this.indexBuild) this.installIndex(this.indexBuild.finishNow());
    return this.index;
  }

  /** True while the search index is still being built in the background (see indexReady). */
  get indexBuilding(): boolean {
    return this.indexBuild !== undefined;
  }

  /**
   * Resolves once the search index is complete (at once when it is, or when indexing is off).
   * Callers that need the whole index without blocking the event loop await this.
   */
  async indexReady(): Promise<void> {
    const build = this.indexBuild;
    if (!build) return;
    try {
      const index = await build.ready;
      if (this.indexBuild === build) this.installIndex(index);
    } catch {
      // Cancelled or failed: a rebuild has replaced it (see startIndexBuild).
    }
  }

  /** Rebuilds the search index from the store (index-validate --repair). */
  rebuildIndex(): void {
    if (this.config.indexing) this.rebuildIndexSync();
  }

  /** Changes applied to the store but not yet to the index (performance.parallelIndexUpdate). */
  private readonly pendingIndex = new Map<string, Change>();

  private applyToIndex(change: Change): void {
    if (!this.index) return;
    if (change.kind === "put") this.index.upsert(this.toDoc(change.entry));
    else this.index.remove(change.entry.namespace, change.entry.key);
  }

  /** Brings the index up to date with every applied change; called before each search. */
  private flushIndex(): void {
    // While the index builds, changes stay pending: installIndex applies them.
    if (this.pendingIndex.size === 0 || !this.index) return;
    for (const change of this.pendingIndex.values()) this.applyToIndex(change);
    this.pendingIndex.clear();
  }

  private rebuildIndexSync(): void {
    this.indexBuild?.cancel();
    this.indexBuild = undefined;
    this.pendingIndex.clear();
    this.index = SearchIndex.startBuild(
      mapped([...this.store.entries()], (e) => this.toDoc(e)),
      { cacheSize: this.config.cacheSize },
    ).finishNow();
  }

  private toDoc(e: Entry): SearchDoc {
    return toSearchDoc(e, this.retention);
  }

  get searchIndex(): SearchIndex | undefined {
    this.ensureIndex();
    this.flushIndex();
    return this.index;
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
    return this.index?.cacheStats ?? { hits: 0, misses: 0, size: 0 };
  }

  /** Embedding state (memory.embeddings.enabled), for stats and tests. */
  get embeddings(): { vectors: number; pending: number; file: string } | undefined {
    const s = this.semantic;
    return s ? { vectors: s.size, pending: s.pending, file: s.file } : undefined;
  }

  // ---------------------------------------------------------------------------------------------
  // memory_store

  async storeEntry(input: StoreInput): Promise<StoreOutput> {
    const namespace = input.namespace ?? DEFAULT_NAMESPACE;
    const prepared = this.prepare(input, namespace);
    return this.store.write((tx) => {
      const r = this.applyStore(tx, prepared, "overwrite");
      if (r.outcome === "skipped") throw new Error("unreachable: overwrite never skips");
      return { entry: ref(r.entry), created: r.outcome === "created" };
    });
  }

  /** Checks the configured limits and normalizes; everything that can fail before the lock does. */
  private prepare(input: StoreInput, namespace: string): Prepared {
    const limits = this.config.limits;
    const ns = NamespaceSchema.safeParse(namespace);
    if (!ns.success)
      throw new MemoryError("INVALID_INPUT", ns.error.issues[0]?.message ?? "namespace is invalid");
    if (input.key.length > limits.maxKeyLength) {
      throw new MemoryError(
        "LIMIT_EXCEEDED",
        `key is ${input.key.length} characters; the limit is ${limits.maxKeyLength} (memory.limits.maxKeyLength): use a shorter key`,
      );
    }
    if (input.value === undefined) {
      throw new MemoryError(
        "INVALID_INPUT",
        "value is required: give any JSON value (string, number, object, ...)",
      );
    }
    let json: string;
    try {
      json = JSON.stringify(input.value);
    } catch (error) {
      throw new MemoryError("INVALID_INPUT", `value cannot be stored as JSON: ${(error as Error).message}`);
    }
    const bytes = Buffer.byteLength(json, "utf8");
    if (bytes > limits.maxValueBytes) {
      throw new MemoryError(
        "LIMIT_EXCEEDED",
        `value is ${bytes} bytes; the limit is ${limits.maxValueBytes} (memory.limits.maxValueBytes): store less, or split it across keys`,
      );
    }
    const tags = input.tags ? [...new Set(input.tags)] : undefined;
    if (tags && tags.length > limits.maxTags) {
      throw new MemoryError(
        "LIMIT_EXCEEDED",
        `tags has ${tags.length} items; the limit is ${limits.maxTags} (memory.limits.maxTags): keep the most useful ones`,
      );
    }
    if (input.metadata) {
      const metaBytes = Buffer.byteLength(JSON.stringify(input.metadata), "utf8");
      if (metaBytes > limits.maxMetadataBytes) {
        throw new MemoryError(
          "LIMIT_EXCEEDED",
          `metadata is ${metaBytes} bytes; the limit is ${limits.maxMetadataBytes} (memory.limits.maxMetadataBytes)`,
        );
      }
    }
    const ttlMs = input.ttl !== undefined ? ttlToMs(input.ttl) : undefined;
    // The value is stored as it round-trips through JSON, so what is read back is what was stored
    // (undefined members dropped, dates as strings, NaN as null); strings, booleans and finite
    // numbers already are their own JSON, and skipping the parse matters for large batches.
    const v = input.value;
    const plain =
      typeof v === "string" || typeof v === "boolean" || (typeof v === "number" && Number.isFinite(v));
    const value = plain ? v : JSON.parse(json);
    return { input, namespace, value, tags, ttlMs };
  }

  private applyStore(tx: TxView, p: Prepared, onConflict: OnConflict): ApplyResult {
    // Stamped with the store's time, not this process's (store/clock.ts).
    const now = tx.now;
    const stamp = new Date(now).toISOString();
    const found = tx.get(p.namespace, p.input.key);
    const existing = found && !isExpired(found, this.retention, now) ? found : undefined;
    if (p.input.ifVersion !== undefined) {
      const current = existing?.version ?? 0;
      if (current !== p.input.ifVersion) {
        throw new MemoryError(
          "VERSION_CONFLICT",
          existing
            ? `key '${printable(p.input.key)}' in namespace '${p.namespace}' is at version ${current}, not ${p.input.ifVersion}: read it again and retry with ifVersion ${current}`
            : `key '${printable(p.input.key)}' does not exist in namespace '${p.namespace}' (ifVersion ${p.input.ifVersion}): use ifVersion 0 to create it`,
          { current },
        );
      }
    }
    if (existing && onConflict === "skip") return { outcome: "skipped" };
    const o = p.origin;
    if (existing && onConflict === "error") {
      throw new MemoryError(
        "ALREADY_EXISTS",
        `key '${printable(p.input.key)}' already exists in namespace '${p.namespace}' (onConflict is "error")`,
      );
    }
    // Versions keep counting across an expired predecessor, so a stale ifVersion can never match.
    const version = Math.max((found?.version ?? 0) + 1, o?.version ?? 0);
    if (version > MAX_VERSION) {
      throw new MemoryError(
        "LIMIT_EXCEEDED",
        `key '${printable(p.input.key)}' in namespace '${p.namespace}' is at version ${found?.version}, the last one a version can count to: delete it and store it again (versions restart at 1)`,
      );
    }
    const expiresAt =
      p.ttlMs !== undefined
        ? new Date(now + p.ttlMs).toISOString()
        : o
          ? o.expiresAt
          : existing
            ? existing.expiresAt
            : undefined;
    const entry: Entry = {
      id: o?.id ?? existing?.id ?? randomUUID(),
      key: p.input.key,
      namespace: p.namespace,
      value: p.value,
      type: p.input.type ?? existing?.type ?? DEFAULT_TYPE,
      tags: p.tags ?? existing?.tags ?? [],
      metadata: p.input.metadata ?? existing?.metadata ?? {},
      createdAt: o?.createdAt ?? existing?.createdAt ?? stamp,
      updatedAt: o?.updatedAt ?? stamp,
      ...(expiresAt ? { expiresAt } : {}),
      version,
      retention: stampOf(p.namespace, this.retention),
    };
    tx.put(entry);
    return { outcome: existing ? "updated" : "created", entry };
  }

  // ---------------------------------------------------------------------------------------------
  // memory_get / lookups

  get(key: string, namespace = DEFAULT_NAMESPACE): Entry | undefined {
    this.store.refresh();
    const e = this.store.get(namespace, key);
    return e && !isExpired(e, this.retention, this.store.now()) ? e : undefined;
  }

  // ---------------------------------------------------------------------------------------------
  // memory_query

  /**
   * Synchronous search for every mode that needs no embedding endpoint. Ranked text queries
   * are answered from the index's result cache when nothing changed (see `cacheStats`).
   * `search()` is the full memory_query (it adds semantic mode and fuses it into hybrid).
   */
  query(input: QueryInput, options: ResponseOptions = {}): QueryOutput {
    this.store.refresh();
    const q = this.plan(input, options);
    const { text, mode, filter, limit, queryId, after, maxBytes } = q;

    if (mode === "semantic") {
      throw new MemoryError(
        "UNAVAILABLE",
        this.semantic
          ? 'mode "semantic" is answered by MemoryBank.search (memory_query), which waits for the embedding endpoint'
          : `mode "semantic" needs an embedding provider: ${ENABLE_HINT}`,
      );
    }
    if (input.key !== undefined || input.keyPrefix !== undefined || mode === "exact" || !text) {
      return this.scanQuery(
        input,
        filter,
        limit,
        after,
        queryId,
        mode === "exact" ? text : undefined,
        maxBytes,
      );
    }
    const index = this.ensureIndex();
    if (index) {
      this.flushIndex();
      const found = index.search({ text, mode, filter, limit, ...(after ? { after } : {}) });
      return this.page(found.hits, found.hasMore, queryId, maxBytes, found.next?.plan);
    }
    return this.substringQuery(text, filter, limit, after, queryId, maxBytes);
  }

  /**
   * memory_query: `query()`, plus `mode: "semantic"` (cosine similarity over entry embeddings)
   * and, when memory.embeddings.enabled, `hybrid` fused with it. If the endpoint fails, semantic
   * queries fail with its error (naming the url and the config field) while hybrid falls back
   * to text ranking alone.
   */
  async search(input: QueryInput, options: ResponseOptions = {}): Promise<QueryOutput> {
    // A ranked query that arrives while the index builds waits for it, without blocking others.
    if (this.indexBuild && input.query?.trim() && input.key === undefined && input.keyPrefix === undefined)
      await this.indexReady();
    const mode = input.mode ?? "hybrid";
    const semantic = this.semantic;
    const text = input.query?.trim() ?? "";
    if (
      !semantic ||
      (mode !== "semantic" && mode !== "hybrid") ||
      !text ||
      input.key !== undefined ||
      input.keyPrefix !== undefined
    ) {
      return this.query(input, options);
    }
    this.store.refresh();
    const q = this.plan(input, options);
    // A hybrid query whose first page was ranked by text alone stays so on later pages.
    if (mode === "hybrid" && q.after && !q.fusion) return this.query(input, options);
    const accept = (ns: string, key: string) => {
      const e = this.store.get(ns, key);
      return (
        e !== undefined &&
        passes(e, q.filter, this.retention) &&
        (!q.filter.namespaces || q.filter.namespaces.includes(ns))
      );
    };
    let vector: Float32Array;
    try {
      await semantic.ready();
      vector = await semantic.embedQuery(text);
    } catch (error) {
      if (mode === "semantic" || q.fusion) throw error;
      if (!this.warnedFallback) {
        this.warnedFallback = true;
        this.log(`hybrid queries rank by text alone while embeddings fail: ${(error as Error).message}`);
      }
      return this.query(input, options);
    }
    this.warnedFallback = false;
    this.store.refresh();
    if (mode === "semantic") {
      const found = semantic.rank(vector, accept, q.limit, q.after);
      return this.page(found.hits, found.hasMore, q.queryId, q.maxBytes);
    }
    const index = this.ensureIndex();
    if (!index) {
      const found = semantic.rank(vector, accept, q.limit, q.after);
      return this.page(found.hits, found.hasMore, q.queryId, q.maxBytes);
    }
    this.flushIndex();
    const plan = q.after?.plan ?? index.plan(text, "hybrid");
    const start: SearchCursor = { score: Number.MAX_VALUE, namespace: "", key: "", plan };
    const found = semantic.fuse(
      vector,
      accept,
      (n) => index.search({ text, mode: "hybrid", filter: q.filter, limit: n, after: start }),
      q.limit,
      q.after,
      q.fusion,
    );
    return this.page(found.hits, found.hasMore, q.queryId, q.maxBytes, plan, found.fusion);
  }

  private warnedFallback = false;

  /** The parts of a query every mode needs: filter, page size, identity and decoded cursor. */
  private plan(input: QueryInput, options: ResponseOptions = {}) {
    const limit = input.limit ?? 10;
    const namespaces = mergeNamespaces(input.namespace, input.namespaces);
    const filter: SearchFilter = {
      ...(namespaces ? { namespaces } : {}),
      ...(input.tags?.length ? { tags: input.tags, tagMode: input.tagMode ?? "all" } : {}),
      ...(input.type ? { type: input.type } : {}),
      ...(input.since ? { since: Date.parse(input.since) } : {}),
      ...(input.until ? { until: Date.parse(input.until) } : {}),
      includeExpired: input.includeExpired ?? false,
      now: this.store.now(),
    };
    // Identity of the query a cursor belongs to: every field that changes the answer, with
    // defaults filled in and in a fixed order, so equal queries match however they were spelled.
    const queryId = fingerprint([
      input.query?.trim() ?? "",
      input.key ?? null,
      input.keyPrefix ?? null,
      namespaces ? [...namespaces].sort() : null,
      input.tags ? [...input.tags].sort() : null,
      input.tags?.length ? (input.tagMode ?? "all") : null,
      input.type ?? null,
      input.mode ?? "hybrid",
      input.since ?? null,
      input.until ?? null,
      input.includeExpired ?? false,
      limit,
    ]);
    const text = input.query?.trim() ?? "";
    const mode = input.mode ?? "hybrid";
    // The text side of a fused hybrid query is planned in hybrid mode too.
    const planMode = mode === "fulltext" || mode === "fuzzy" || mode === "hybrid" ? mode : undefined;
    const decoded = input.cursor ? decodeCursor(input.cursor, queryId, text, planMode) : undefined;
    const maxBytes = options.maxBytes ?? RESPONSE_BUDGET_BYTES;
    return { text, mode, filter, limit, queryId, after: decoded?.after, fusion: decoded?.fusion, maxBytes };
  }

  /**
   * Shapes a page of hits. Results stop once they would pass `maxBytes` of JSON (at least one is
   * always given): MCP clients drop the connection on answers over 10 MiB, so a page of large
   * values ends early and its nextCursor continues right after the last result sent.
   */
  private page(
    hits: Array<{ namespace: string; key: string; score: number }>,
    hasMore: boolean,
    queryId: string,
    maxBytes: number,
    plan?: SearchPlan,
    fusion?: Fusion,
  ) {
    const results: QueryResult[] = [];
    let bytes = 0;
    let sent = 0;
    for (const h of hits) {
      const e = this.store.get(h.namespace, h.key);
      if (e) {
        const size = approximateBytes(e);
        if (results.length > 0 && bytes + size > maxBytes) {
          hasMore = true;
          break;
        }
        bytes += size;
        results.push(toResult(e, h.score));
      }
      sent++;
    }
    const last = hits[sent - 1];
    return {
      results,
      ...(hasMore && last
        ? {
            nextCursor: encodeCursor(
              { score: last.score, namespace: last.namespace, key: last.key, ...(plan ? { plan } : {}) },
              queryId,
              fusion,
            ),
          }
        : {}),
    };
  }

  /** Key, key-prefix and filter-only listings: exact matches score 1, listings are newest first. */
  private scanQuery(
    input: QueryInput,
    filter: SearchFilter,
    limit: number,
    after: SearchCursor | undefined,
    queryId: string,
    exactText: string | undefined,
    maxBytes: number,
  ): QueryOutput {
    const key = input.key ?? (exactText && input.keyPrefix === undefined ? exactText : undefined);
    const nsList = filter.namespaces ?? this.store.namespaces();
    const hits: Array<{ namespace: string; key: string; score: number }> = [];
    for (const ns of nsList) {
      if (key !== undefined) {
        const e = this.store.get(ns, key);
        if (e && passes(e, filter, this.retention)) hits.push({ namespace: ns, key: e.key, score: 1 });
        continue;
      }
      const byKey = this.store.namespace(ns);
      if (!byKey) continue;
      for (const e of byKey.values()) {
        if (input.keyPrefix !== undefined && !e.key.startsWith(input.keyPrefix)) continue;
        if (!passes(e, filter, this.retention)) continue;
        // Listings order by recency; the score carries it so the cursor order is the same total order.
        const score = input.keyPrefix !== undefined ? 1 : Date.parse(e.updatedAt);
        hits.push({ namespace: ns, key: e.key, score });
      }
    }
    const { page, hasMore } = pageAfter(hits, after, limit);
    return this.page(page, hasMore, queryId, maxBytes);
  }

  /** With memory.indexing off: a plain scan that counts query words found in key, value and tags. */
  private substringQuery(
    text: string,
    filter: SearchFilter,
    limit: number,
    after: SearchCursor | undefined,
    queryId: string,
    maxBytes: number,
  ): QueryOutput {
    const words = text.toLowerCase().split(/\s+/).filter(Boolean);
    const hits: Array<{ namespace: string; key: string; score: number }> = [];
    for (const ns of filter.namespaces ?? this.store.namespaces()) {
      for (const e of this.store.namespace(ns)?.values() ?? []) {
        if (!passes(e, filter, this.retention)) continue;
        const hay = `${e.key} ${JSON.stringify(e.value)} ${e.tags.join(" ")}`.toLowerCase();
        const score = words.filter((w) => hay.includes(w)).length;
        if (score > 0) hits.push({ namespace: ns, key: e.key, score });
      }
    }
    const { page, hasMore } = pageAfter(hits, after, limit);
    return this.page(page, hasMore, queryId, maxBytes);
  }

  // ---------------------------------------------------------------------------------------------
  // batch_store

  /**
   * `preserve` (import and restore) keeps each raw entry's id, createdAt, updatedAt, expiresAt and
   * version when it carries them, so a restored entry ages exactly as it did before.
   */
  async batchStore(
    input: BatchStoreInput,
    progress: ProgressOptions = {},
    options: { preserve?: boolean } = {},
  ): Promise<BatchStoreOutput> {
    const onConflict = input.onConflict ?? "overwrite";
    const total = input.entries.length;
    const errors: ItemError[] = [];
    const prepared: Array<{ index: number; p: Prepared }> = [];
    input.entries.forEach((raw, index) => {
      try {
        const entry = parseInput(StoreInputSchema, raw, `entries[${index}]`);
        const p = this.prepare(entry, entry.namespace ?? input.namespace ?? DEFAULT_NAMESPACE);
        if (options.preserve) p.origin = originOf(raw, `entries[${index}]`);
        prepared.push({ index, p });
      } catch (error) {
        const key = typeof raw.key === "string" ? raw.key : undefined;
        errors.push({ index, ...(key !== undefined ? { key } : {}), message: (error as Error).message });
      }
    });
    const out: BatchStoreOutput = { stored: 0, updated: 0, skipped: 0, failed: 0, errors };

    if (input.atomic) {
      if (errors.length > 0) {
        out.failed = total;
        out.errors = errors.map((e) => ({
          ...e,
          message: `${e.message} (atomic batch: nothing was stored)`,
        }));
        return out;
      }
      try {
        const results = await this.store.write(
          (tx) => prepared.map(({ p }) => this.applyStore(tx, p, onConflict)),
          { atomic: true },
        );
        for (const r of results) count(out, r);
      } catch (error) {
        out.failed = total;
        out.errors = [
          { index: -1, message: `${(error as Error).message} (atomic batch: nothing was stored)` },
        ];
      }
      progress.onProgress?.(total, total);
      return out;
    }

    // Each chunk is one transaction: entries in it are checked and written together under one
    // lock hold, and concurrent chunks share appends through group commit.
    const chunkSize = this.config.batchtools.enabled ? this.config.performance.batchWriteSize : 1;
    const chunks: Array<typeof prepared> = [];
    for (let i = 0; i < prepared.length; i += chunkSize) chunks.push(prepared.slice(i, i + chunkSize));
    let done = errors.length;
    if (errors.length) progress.onProgress?.(done, total);
    const report = await runBatch(
      chunks,
      async (chunk) => {
        const results = await this.store.write((tx) =>
          chunk.map(({ index, p }) => {
            try {
              return { index, result: this.applyStore(tx, p, onConflict) };
            } catch (error) {
              if (!(error instanceof MemoryError)) throw error;
              return { index, key: p.input.key, error: error.message };
            }
          }),
        );
        done += chunk.length;
        progress.onProgress?.(done, total);
        return results;
      },
      {
        concurrency: this.config.batchtools.enabled ? this.config.batchtools.maxConcurrent : 1,
        // The executor's items here are transactions: a chunk of batchSize of them lets
        // maxConcurrent run side by side, so group commit folds them into few lock + fsync rounds.
        chunkSize: this.config.batchtools.batchSize,
        ...(progress.signal ? { signal: progress.signal } : {}),
      },
    );
    report.outcomes.forEach((o, i) => {
      const chunk = chunks[i] ?? [];
      if (o.ok) {
        for (const item of o.value) {
          if ("error" in item)
            errors.push({ index: item.index, key: item.key, message: item.error as string });
          else count(out, item.result);
        }
      } else {
        for (const { index, p } of chunk) errors.push({ index, key: p.input.key, message: o.message });
      }
    });
    errors.sort((a, b) => a.index - b.index);
    out.failed = errors.length;
    return out;
  }

  // ---------------------------------------------------------------------------------------------
  // parallel_query

  async parallelQuery(
    input: ParallelQueryInput,
    progress: ProgressOptions = {},
  ): Promise<ParallelQueryOutput> {
    const started = performance.now();
    const jobs: Array<{ label: string; namespace?: string; q: QueryInput }> = [];
    for (const raw of input.queries) {
      const base: QueryInput = typeof raw === "string" ? { query: raw } : raw;
      const q: QueryInput = { ...base, limit: base.limit ?? input.limit ?? 10 };
      const label = typeof raw === "string" ? raw : (raw.query ?? raw.key ?? raw.keyPrefix ?? "");
      if (input.namespaces?.length) {
        for (const ns of input.namespaces)
          jobs.push({ label, namespace: ns, q: { ...q, namespace: ns, namespaces: undefined } });
      } else {
        jobs.push({ label, q });
      }
    }
    // Every page is cut to its share of one response budget: 100 searches of large values must
    // not add up to an answer the client cannot take.
    const maxBytes = Math.max(64 * 1024, Math.floor(RESPONSE_BUDGET_BYTES / Math.max(1, jobs.length)));
    const report = await runBatch(jobs, async (job) => this.search(job.q, { maxBytes }), {
      concurrency: this.config.performance.concurrentQueries,
      retries: 0,
      ...(progress.signal ? { signal: progress.signal } : {}),
      ...(progress.onProgress ? { onProgress: progress.onProgress } : {}),
    });
    return {
      results: jobs.map((job, i) => {
        const o = report.outcomes[i];
        const base = { query: job.label, ...(job.namespace ? { namespace: job.namespace } : {}) };
        return o?.ok
          ? {
              ...base,
              results: o.value.results,
              ...(o.value.nextCursor ? { nextCursor: o.value.nextCursor } : {}),
            }
          : { ...base, results: [], error: o?.message ?? "failed" };
      }),
      tookMs: Math.round((performance.now() - started) * 1000) / 1000,
    };
  }

  // ---------------------------------------------------------------------------------------------
  // export

  async exportTo(input: ExportInput): Promise<ExportOutput> {
    this.store.refresh();
    const format = input.format ?? "json";
    const compress = input.compress ?? false;
    const stamp = new Date().toISOString().replace(/[:.]/g, "-");
    let requested = input.path ?? path.join("memory", "exports", `memory-${stamp}.${format}`);
    if (compress && !requested.endsWith(".gz")) requested += ".gz";
    const file = resolveInsideProject(this.projectDir, requested);
    refuseStoreFiles(file, { dataPath: this.dataPath, configFile: this.configFile });
    await ensureDir(path.dirname(file));
    const wanted = input.namespaces ? new Set(input.namespaces) : undefined;
    const now = this.store.now();
    const entries: Entry[] = [];
    for (const e of this.store.entries()) {
      if (wanted && !wanted.has(e.namespace)) continue;
      if (!input.includeExpired && isExpired(e, this.retention, now)) continue;
      entries.push(e);
    }
    entries.sort((a, b) => (a.namespace === b.namespace ? cmp(a.key, b.key) : cmp(a.namespace, b.namespace)));
    const written = await writeExportFile(file, entries, format, compress);
    return { path: relativeToProject(this.projectDir, file), entries: entries.length, ...written };
  }

  // ---------------------------------------------------------------------------------------------

  async close(): Promise<void> {
    this.indexBuild?.cancel();
    this.indexBuild = undefined;
    await this.semantic?.close();
    await this.store.close();
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

/** Default ceiling on the JSON of one query's results; see `page()`. */
export const RESPONSE_BUDGET_BYTES = 4 * 1024 * 1024;

export interface ResponseOptions {
  /** Cut a page's results once their JSON would pass this many bytes (default RESPONSE_BUDGET_BYTES). */
  maxBytes?: number;
}

/** Size of an entry as it will travel in a result: its value plus the fields around it. */
function approximateBytes(e: Entry): number {
  return JSON.stringify(e.value).length + e.key.length + e.namespace.length + 20 * e.tags.length + 200;
}

interface Prepared {
  input: StoreInput;
  namespace: string;
  value: unknown;
  tags: string[] | undefined;
  ttlMs: number | undefined;
  origin?: Origin;
}

type Origin = Partial<Pick<Entry, "id" | "createdAt" | "updatedAt" | "expiresAt" | "version">>;

/**
 * The identity fields an imported record brings, checked so that what is stored can always be
 * read back over MCP (whose output schemas hold versions to safe integers and dates to dates):
 * a field that is there but out of range is the record's error, naming the field; dates are
 * normalized to ISO 8601 UTC.
 */
function originOf(raw: Record<string, unknown>, what: string): Origin {
  const o: Origin = {};
  if (typeof raw.id === "string" && raw.id.length > 0 && raw.id.length <= 200) o.id = raw.id;
  for (const field of ["createdAt", "updatedAt", "expiresAt"] as const) {
    const v = raw[field];
    if (v === undefined || v === null) continue;
    const ms = typeof v === "string" ? Date.parse(v) : Number.NaN;
    if (Number.isNaN(ms)) {
      throw new MemoryError(
        "INVALID_INPUT",
        `${what}: ${field} '${printable(v)}' is not a date: use ISO 8601 such as 2026-01-31T12:00:00Z, or leave it out`,
      );
    }
    if (ms < 0 || ms > MAX_DATE_MS) {
      throw new MemoryError(
        "INVALID_INPUT",
        `${what}: ${field} '${printable(v)}' is out of range: use a date from 1970-01-01 to 9999-12-31, or leave it out`,
      );
    }
    o[field] = new Date(ms).toISOString();
  }
  const version = raw.version;
  if (version !== undefined && version !== null) {
    if (typeof version !== "number" || !Number.isInteger(version) || version < 1 || version > MAX_VERSION) {
      throw new MemoryError(
        "INVALID_INPUT",
        `${what}: version ${printable(version)} is out of range: versions are whole numbers from 1 to ${MAX_VERSION}; leave it out to start at 1`,
      );
    }
    o.version = version;
  }
  return o;
}

type ApplyResult = { outcome: "created" | "updated"; entry: Entry } | { outcome: "skipped" };

function count(out: BatchStoreOutput, r: ApplyResult): void {
  if (r.outcome === "created") out.stored++;
  else if (r.outcome === "updated") out.updated++;
  else out.skipped++;
}

function ref(e: Entry): EntryRef {
  return {
    id: e.id,
    key: e.key,
    namespace: e.namespace,
    version: e.version,
    createdAt: e.createdAt,
    updatedAt: e.updatedAt,
    ...(e.expiresAt ? { expiresAt: e.expiresAt } : {}),
  };
}

function toResult(e: Entry, score: number): QueryResult {
  return {
    key: e.key,
    namespace: e.namespace,
    value: e.value,
    type: e.type,
    tags: e.tags,
    score,
    version: e.version,
    updatedAt: e.updatedAt,
    ...(e.expiresAt ? { expiresAt: e.expiresAt } : {}),
  };
}

function passes(e: Entry, f: SearchFilter, rules: Retention): boolean {
  if (f.type && e.type !== f.type) return false;
  if (f.tags?.length) {
    const has = (t: string) => e.tags.includes(t);
    if (f.tagMode === "any" ? !f.tags.some(has) : !f.tags.every(has)) return false;
  }
  if (f.since !== undefined || f.until !== undefined) {
    const t = Date.parse(e.updatedAt);
    if (f.since !== undefined && t < f.since) return false;
    if (f.until !== undefined && t > f.until) return false;
  }
  return f.includeExpired || !isExpired(e, rules, f.now);
}

/** Sorts scan hits into the cursor order and takes the page that follows `after`. */
function pageAfter<H extends { score: number; namespace: string; key: string }>(
  hits: H[],
  after: SearchCursor | undefined,
  limit: number,
): { page: H[]; hasMore: boolean } {
  hits.sort(compareHits);
  let start = 0;
  if (after) while (start < hits.length && compareHits(hits[start] as H, after) <= 0) start++;
  return { page: hits.slice(start, start + limit), hasMore: start + limit < hits.length };
}

function compareHits(a: { score: number; namespace: string; key: string }, b: SearchCursor): number {
  if (a.score !== b.score) return b.score - a.score;
  if (a.namespace !== b.namespace) return cmp(a.namespace, b.namespace);
  return cmp(a.key, b.key);
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function mergeNamespaces(one?: string, many?: readonly string[]): string[] | undefined {
  if (one === undefined && !many?.length) return undefined;
  return [...new Set([...(one !== undefined ? [one] : []), ...(many ?? [])])];
}

function fingerprint(value: unknown): string {
  return createHash("sha1").update(JSON.stringify(value)).digest("base64url").slice(0, 12);
}

/** The schema's bound on a cursor (QueryInputShape.cursor). */
const MAX_CURSOR_CHARS = 4096;

/**
 * An opaque cursor: the last hit of the page, the query it belongs to, and the scoring plan
 * of the first page (query terms with their idf and the average field lengths), so later pages
 * score every unchanged entry exactly as the first page did: nothing is skipped or repeated,
 * whatever is written between pages. Fused hybrid queries also carry their fusion constants.
 * Large plans are deflated ("z." prefix); a plan that still does not fit is dropped and paging
 * continues by position (best effort), which only very long fuzzy queries reach.
 */
function encodeCursor(c: SearchCursor, queryId: string, fusion?: Fusion): string {
  const data: Record<string, unknown> = { q: queryId, s: c.score, n: c.namespace, k: c.key };
  if (c.plan) {
    data.t = c.plan.terms;
    data.a = c.plan.avgLengths;
  }
  if (fusion) data.f = fusion;
  const json = JSON.stringify(data);
  const plain = Buffer.from(json).toString("base64url");
  if (plain.length <= MAX_CURSOR_CHARS) return plain;
  const packed = `z.${deflateRawSync(json).toString("base64url")}`;
  if (packed.length <= MAX_CURSOR_CHARS || !c.plan) return packed;
  return encodeCursor({ score: c.score, namespace: c.namespace, key: c.key }, queryId, fusion);
}

function decodeCursor(
  cursor: string,
  queryId: string,
  text: string,
  mode: "fulltext" | "fuzzy" | "hybrid" | undefined,
): { after: SearchCursor; fusion?: Fusion } {
  let parsed: Record<string, unknown> | undefined;
  try {
    const bytes = cursor.startsWith("z.")
      ? inflateRawSync(Buffer.from(cursor.slice(2), "base64url"), { maxOutputLength: 1 << 20 })
      : Buffer.from(cursor, "base64url");
    parsed = JSON.parse(bytes.toString("utf8"));
  } catch {
    parsed = undefined;
  }
  const finite = (x: unknown) => typeof x === "number" && Number.isFinite(x);
  const numbers = (x: unknown, n: number) => Array.isArray(x) && x.length === n && x.every(finite);
  const valid =
    parsed !== null &&
    typeof parsed === "object" &&
    !Array.isArray(parsed) &&
    typeof parsed.q === "string" &&
    finite(parsed.s) &&
    typeof parsed.n === "string" &&
    typeof parsed.k === "string" &&
    (parsed.t === undefined ||
      (Array.isArray(parsed.t) &&
        parsed.t.every(
          (t) =>
            Array.isArray(t) && t.length === 3 && typeof t[0] === "string" && finite(t[1]) && finite(t[2]),
        ))) &&
    (parsed.a === undefined || numbers(parsed.a, 3)) &&
    (parsed.t === undefined) === (parsed.a === undefined) &&
    (parsed.f === undefined || numbers(parsed.f, 3));
  if (!valid || !parsed) {
    throw new MemoryError(
      "INVALID_INPUT",
      "cursor is not valid: pass the nextCursor of the previous page unchanged",
    );
  }
  if (parsed.q !== queryId) {
    throw new MemoryError(
      "INVALID_INPUT",
      "cursor belongs to a different query: repeat the same query fields with the cursor, or drop the cursor",
    );
  }
  const after: SearchCursor = {
    score: parsed.s as number,
    namespace: parsed.n as string,
    key: parsed.k as string,
  };
  if (parsed.t !== undefined && mode !== undefined) {
    after.plan = {
      text,
      mode,
      terms: parsed.t as SearchPlan["terms"],
      avgLengths: parsed.a as SearchPlan["avgLengths"],
    };
  }
  return { after, ...(parsed.f !== undefined ? { fusion: parsed.f as Fusion } : {}) };
}

export { parseInput };

/** `items` mapped lazily, one at a time (an index build reads its documents slice by slice). */
function* mapped<T, U>(items: readonly T[], fn: (item: T) => U): Generator<U> {
  for (const item of items) yield fn(item);
}
