/**
 * SearchIndex: the one class the rest of the product talks to.
 *
 * @example
 *   const index = new SearchIndex();
 *   index.upsert({ namespace: "default", key: "db/replication", value: "Postgres streaming replication",
 *                  tags: ["db"], type: "semantic", updatedAt: Date.now() });
 *   index.search({ text: "postgress replicaton", filter: { now: Date.now() }, limit: 10 });
 *   // → { hits: [{ namespace: "default", key: "db/replication", score: 1.9 }], hasMore: false }
 */
import { DEFAULT_STOP_WORDS } from "./analyzer.js";
import type { Bm25Params } from "./bm25.js";
import { BulkBuilder, defaultWorkerCount, type FieldTexts, workerScript } from "./build.js";
import { QueryCache } from "./cache.js";
import { compileFilter } from "./filter.js";
import { DEFAULT_FUZZY, type FuzzyOptions, FuzzyVocabulary } from "./fuzzy.js";
import { type DocMeta, InvertedIndex, type InvertedState } from "./inverted.js";
import { checkPlan, execute, listAll, type PlanContext, planQuery, Scratch } from "./query.js";
import type {
  BuildOptions,
  SearchCursor,
  SearchDoc,
  SearchHit,
  SearchIndexOptions,
  SearchMode,
  SearchPlan,
  SearchRequest,
  SearchResult,
} from "./types.js";
import { DEFAULT_MAX_TEXT_CHARS, flattenText } from "./value-text.js";

const DEFAULT_CACHE_SIZE = 1000;
/*
 * BM25 parameters for short entries: below the textbook 1.2 / 0.75, as passage retrieval
 * finds (memory entries are passages, not articles). A lower k1 saturates term frequency
 * sooner, so a rare word said once is not outweighed by a common word said often (or in the
 * key); a lower b penalizes a long entry less for the length its examples and details add.
 * Chosen on the tuning half of bench/eval (see its RESULTS.md).
 */
const DEFAULT_K1 = 0.8;
const DEFAULT_B = 0.6;
const MODES: readonly SearchMode[] = ["fulltext", "fuzzy", "hybrid"];

interface CachedResult {
  result: SearchResult;
  /** The answer holds for filter.now in [computedAt, validUntil). */
  computedAt: number;
  validUntil: number;
}

export class SearchIndex {
  private readonly params: Bm25Params;
  private readonly fuzzyOptions: Required<FuzzyOptions>;
  private readonly stopWordList: readonly string[];
  private readonly stopWords: ReadonlySet<string>;
  private readonly maxTextChars: number;
  private readonly fuzzyVocabulary = new FuzzyVocabulary();
  private inverted: InvertedIndex;
  private readonly scratch = new Scratch();
  private readonly cache: QueryCache<CachedResult>;
  private gen = 0;

  constructor(options: SearchIndexOptions = {}) {
    const w = options.fieldWeights ?? {};
    const weights: [number, number, number] = [w.key ?? 3, w.tags ?? 2, w.value ?? 1];
    for (const [name, x] of [
      ["fieldWeights.key", weights[0]],
      ["fieldWeights.tags", weights[1]],
      ["fieldWeights.value", weights[2]],
      ["k1", options.k1 ?? DEFAULT_K1],
    ] as const) {
      if (!Number.isFinite(x) || x < 0)
        throw new RangeError(`${name} must be a finite number >= 0, got ${x}`);
    }
    const b = options.b ?? DEFAULT_B;
    if (!(b >= 0 && b <= 1)) throw new RangeError(`b must be between 0 and 1, got ${b}`);
    this.params = { k1: options.k1 ?? DEFAULT_K1, b, weights };
    this.fuzzyOptions = { ...DEFAULT_FUZZY, ...definedOnly(options.fuzzy ?? {}) };
    const f = this.fuzzyOptions;
    for (const name of ["maxEdits", "minLength", "maxExpansions", "rareDocFrequency"] as const) {
      if (!Number.isInteger(f[name]) || f[name] < 0) {
        throw new RangeError(`fuzzy.${name} must be an integer >= 0, got ${f[name]}`);
      }
    }
    for (const name of ["weight", "typoWeight"] as const) {
      if (!(f[name] >= 0 && f[name] <= 1))
        throw new RangeError(`fuzzy.${name} must be between 0 and 1, got ${f[name]}`);
    }
    this.maxTextChars = options.maxTextChars ?? DEFAULT_MAX_TEXT_CHARS;
    if (!Number.isInteger(this.maxTextChars) || this.maxTextChars < 0) {
      throw new RangeError(`maxTextChars must be an integer >= 0, got ${this.maxTextChars}`);
    }
    this.stopWordList = [...(options.stopWords ?? DEFAULT_STOP_WORDS)].map((s) => s.toLowerCase());
    this.stopWords = new Set(this.stopWordList);
    this.inverted = new InvertedIndex(this.stopWordList, this.fuzzyVocabulary);
    this.cache = new QueryCache(options.cacheSize ?? DEFAULT_CACHE_SIZE);
  }

  /**
   * Builds an index from many documents, faster than upserting them one by one: each posting
   * list is laid out once. With `parallel: true`, worker threads analyze chunks of documents
   * while this thread analyzes others and merges; the result is identical to a sequential
   * build. Runs sequentially when the compiled worker script is not present (e.g. when
   * running TypeScript sources under a test runner). A later document with the same
   * (namespace, key) replaces an earlier one, as with `upsert`.
   *
   * @example const index = await SearchIndex.build(entries, { parallel: true, workers: 2 });
   */
  static async build(
    docs: Iterable<SearchDoc> | SearchDoc[],
    options: BuildOptions = {},
  ): Promise<SearchIndex> {
    const build = SearchIndex.startBuild(docs, { ...options, sliceMs: options.sliceMs ?? 50 });
    return build.parallel ? build.ready : build.finishNow();
  }

  /**
   * Starts a build that runs in slices of at most `sliceMs` between which the event loop
   * runs (a server keeps answering), on worker threads too with `parallel: true`. The index
   * is usable once `ready` resolves; `finishNow()` completes it synchronously instead, for a
   * reader that cannot wait. `docs` is read lazily, slice by slice.
   *
   * @example
   *   const build = SearchIndex.startBuild(docs, { sliceMs: 10 });
   *   const index = await build.ready; // or build.finishNow()
   */
  static startBuild(docs: Iterable<SearchDoc>, options: BuildOptions = {}): IndexBuild {
    const index = new SearchIndex(options);
    const chunkSize = options.chunkSize ?? 2000;
    if (!Number.isInteger(chunkSize) || chunkSize < 1)
      throw new RangeError(`chunkSize must be an integer >= 1`);
    const sliceMs = options.sliceMs ?? 10;
    if (!(sliceMs > 0)) throw new RangeError(`sliceMs must be > 0, got ${sliceMs}`);
    const script = options.parallel === true ? workerScript() : undefined;
    const workers = script === undefined ? 0 : (options.workers ?? defaultWorkerCount());
    if (!Number.isInteger(workers) || workers < 0) throw new RangeError(`workers must be an integer >= 0`);
    const builder = new BulkBuilder(
      index.inverted,
      {
        docs,
        meta: (doc: SearchDoc) => {
          checkDoc(doc);
          return metaOf(doc);
        },
        texts: (doc: SearchDoc) => index.fieldTexts(doc),
      },
      { chunkSize, workers, script, stopWords: index.stopWordList },
    );
    return new IndexBuild(index, builder, sliceMs, workers > 0, () => index.gen++);
  }

  /**
   * The whole index as plain data and typed arrays, for `encodeSegment` (search/segment.ts).
   * The arrays are the index's own (views, no copy): encode them before the next change.
   */
  exportState(): SearchIndexState {
    return {
      stopWords: [...this.stopWordList],
      maxTextChars: this.maxTextChars,
      inverted: this.inverted.exportState(),
    };
  }

  /**
   * An index made from `exportState`'s data. `options` are this index's settings (ranking,
   * fuzzy, cache); the ones that shape what was indexed (stop words, maxTextChars) must be the
   * ones the state was made with, or a RangeError says which differs.
   */
  static fromState(state: SearchIndexState, options: SearchIndexOptions = {}): SearchIndex {
    const index = new SearchIndex(options);
    const stopWords = index.stopWordList;
    if (state.stopWords.length !== stopWords.length || state.stopWords.some((w, i) => w !== stopWords[i])) {
      throw new RangeError("the index was built with other stop words");
    }
    if (state.maxTextChars !== index.maxTextChars) {
      throw new RangeError(
        `the index was built with maxTextChars ${state.maxTextChars}, not ${index.maxTextChars}`,
      );
    }
    index.inverted.restoreState(state.inverted);
    return index;
  }

  /** Adds the document, or replaces the one with the same (namespace, key). O(words in doc). */
  upsert(doc: SearchDoc): void {
    checkDoc(doc);
    this.inverted.add(metaOf(doc), this.fieldTexts(doc));
    this.gen++;
  }

  /** Removes the document if present (absent is not an error). */
  remove(namespace: string, key: string): void {
    if (this.inverted.remove(namespace, key)) this.gen++;
  }

  clear(): void {
    this.fuzzyVocabulary.clear();
    this.inverted = new InvertedIndex(this.stopWordList, this.fuzzyVocabulary);
    this.cache.clear();
    this.gen++;
  }

  /** Number of documents. */
  get size(): number {
    return this.inverted.docCount;
  }

  /** Number of distinct index terms (stems). */
  get termCount(): number {
    return this.inverted.termCount;
  }

  /** Bumped by every change; cached results are tied to it. */
  get generation(): number {
    return this.gen;
  }

  get cacheStats(): { hits: number; misses: number; size: number } {
    return this.cache.stats;
  }

  /** Whether (namespace, key) is indexed. */
  has(namespace: string, key: string): boolean {
    return this.inverted.docNumOf(namespace, key) !== undefined;
  }

  /**
   * Ranked, filtered, paged search. Hits are ordered by score desc, namespace asc, key asc;
   * pass `result.next` as `after` for the following page (see `SearchCursor` for why paging
   * is stable across writes).
   *
   * @example
   *   const page1 = index.search({ text: "retry policy", filter: { now, tags: ["infra"] }, limit: 20 });
   *   const page2 = index.search({ text: "retry policy", filter: { now, tags: ["infra"] }, limit: 20, after: page1.next });
   */
  search(req: SearchRequest): SearchResult {
    const mode = req.mode ?? "hybrid";
    if (!MODES.includes(mode))
      throw new RangeError(`mode must be one of ${MODES.join(", ")}, got ${String(mode)}`);
    if (!Number.isInteger(req.limit) || req.limit < 1) {
      throw new RangeError(`limit must be a positive integer, got ${req.limit}`);
    }
    if (typeof req.text !== "string") throw new TypeError("text must be a string");
    const after = req.after;
    if (after !== undefined) {
      if (
        typeof after.score !== "number" ||
        typeof after.namespace !== "string" ||
        typeof after.key !== "string"
      ) {
        throw new RangeError("after must be a cursor { score, namespace, key } from a previous result");
      }
      if (after.plan !== undefined) checkPlan(after.plan, req.text, mode);
    }

    const cacheKey = requestKey(req, mode);
    const now = req.filter.now;
    const cached = this.cache.get(cacheKey, this.gen, (c) => now >= c.computedAt && now < c.validUntil);
    if (cached !== undefined) return { ...cached.result, hits: [...cached.result.hits] };

    const filter = compileFilter(this.inverted, req.filter);
    let plan: SearchPlan | undefined;
    let execution: ReturnType<typeof execute>;
    if (req.text.trim() === "") {
      execution = listAll(this.inverted, filter, { limit: req.limit, after });
    } else {
      plan = after?.plan ?? planQuery(this.planContext(), req.text, mode);
      execution = execute(this.inverted, plan, this.params, filter, this.scratch, {
        limit: req.limit,
        after,
      });
    }

    const hits: SearchHit[] = execution.top.map((r) =>
      Object.freeze({ namespace: r.namespace, key: r.key, score: r.score }),
    );
    const result: SearchResult = { hits, hasMore: execution.hasMore };
    const last = hits[hits.length - 1];
    if (execution.hasMore && last !== undefined) {
      const next: SearchCursor = { score: last.score, namespace: last.namespace, key: last.key };
      if (plan !== undefined) next.plan = plan;
      result.next = next;
    }
    this.cache.set(cacheKey, this.gen, { result, computedAt: now, validUntil: filter.earliestExpiry });
    return { ...result, hits: [...hits] };
  }

  /**
   * The scoring plan `text` gets under the current statistics: pass it back inside `after`
   * (e.g. `{ score: Number.MAX_VALUE, namespace: "", key: "", plan }` for "from the start")
   * to score several requests exactly alike.
   */
  plan(text: string, mode: SearchMode = "hybrid"): SearchPlan {
    return planQuery(this.planContext(), text, mode);
  }

  /** @internal For tests: run a query without MaxScore pruning. */
  searchExhaustive(req: SearchRequest): SearchResult {
    const mode = req.mode ?? "hybrid";
    const filter = compileFilter(this.inverted, req.filter);
    const plan = req.after?.plan ?? planQuery(this.planContext(), req.text, mode);
    const execution = execute(this.inverted, plan, this.params, filter, this.scratch, {
      limit: req.limit,
      after: req.after,
      prune: false,
    });
    return {
      hits: execution.top.map((r) => ({ namespace: r.namespace, key: r.key, score: r.score })),
      hasMore: execution.hasMore,
    };
  }

  /** @internal The [key, tags, value] texts a document is analyzed from. */
  fieldTexts(doc: SearchDoc): FieldTexts {
    return [doc.key, doc.tags.join("\n"), flattenText(doc.value, this.maxTextChars)];
  }

  private planContext(): PlanContext {
    return {
      index: this.inverted,
      fuzzy: this.fuzzyVocabulary,
      fuzzyOptions: this.fuzzyOptions,
      stopWords: this.stopWords,
    };
  }
}

/** A SearchIndex as data (see `exportState`). */
export interface SearchIndexState {
  stopWords: string[];
  maxTextChars: number;
  inverted: InvertedState;
}

function checkDoc(doc: SearchDoc): void {
  if (typeof doc.namespace !== "string" || typeof doc.key !== "string") {
    throw new TypeError("doc.namespace and doc.key must be strings");
  }
  if (!Array.isArray(doc.tags) || !doc.tags.every((t) => typeof t === "string")) {
    throw new TypeError(`doc.tags must be an array of strings (${doc.namespace}/${doc.key})`);
  }
  if (!Number.isFinite(doc.updatedAt))
    throw new TypeError(`doc.updatedAt must be epoch ms (${doc.namespace}/${doc.key})`);
}

function metaOf(doc: SearchDoc): DocMeta {
  const meta: DocMeta = {
    namespace: doc.namespace,
    key: doc.key,
    tags: doc.tags,
    type: doc.type,
    updatedAt: doc.updatedAt,
  };
  if (doc.expiresAt !== undefined) meta.expiresAt = doc.expiresAt;
  return meta;
}

/** Everything that determines the answer except `now` (handled by the validity window). */
function requestKey(req: SearchRequest, mode: SearchMode): string {
  const f = req.filter;
  return JSON.stringify([
    req.text,
    mode,
    req.limit,
    f.namespaces ?? null,
    f.tags ?? null,
    f.tagMode ?? "all",
    f.type ?? null,
    f.since ?? null,
    f.until ?? null,
    f.includeExpired === true,
    req.after ?? null,
  ]);
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/**
 * A build in progress, from `SearchIndex.startBuild`. Slices run from `setImmediate`, so
 * I/O callbacks (requests) are served between them.
 */
export class IndexBuild {
  /** Resolves with the complete index; rejects if a document is invalid or on `cancel()`. */
  readonly ready: Promise<SearchIndex>;
  private resolve: (index: SearchIndex) => void = () => {};
  private reject: (error: Error) => void = () => {};
  private scheduled = false;
  private settled = false;

  constructor(
    private readonly index: SearchIndex,
    private readonly builder: BulkBuilder<SearchDoc>,
    private readonly sliceMs: number,
    /** Whether worker threads take part. */
    readonly parallel: boolean,
    private readonly onDone: () => void,
  ) {
    this.ready = new Promise<SearchIndex>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
    // A caller that only ever uses finishNow() or cancel() must not see an unhandled rejection.
    this.ready.catch(() => {});
    builder.onProgress = () => this.schedule();
    this.schedule();
  }

  /** True once the index is complete (and `ready` resolved or about to). */
  get done(): boolean {
    return this.settled && this.builder.done;
  }

  /** Documents taken in so far. */
  get admitted(): number {
    return this.builder.admitted;
  }

  /** Completes the build synchronously on this thread and returns the index. */
  finishNow(): SearchIndex {
    if (this.settled) {
      if (this.builder.done) return this.index;
      throw new Error("the index build was cancelled or failed");
    }
    try {
      this.builder.finishNow();
    } catch (error) {
      this.fail(error);
      throw error;
    }
    this.succeed();
    return this.index;
  }

  /** Stops the build (workers too); `ready` rejects. */
  cancel(): void {
    if (this.settled) return;
    this.builder.cancel();
    this.fail(new Error("the index build was cancelled"));
  }

  private schedule(): void {
    if (this.scheduled || this.settled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.run();
    });
  }

  private run(): void {
    if (this.settled) return;
    let result: ReturnType<BulkBuilder<SearchDoc>["step"]>;
    try {
      result = this.builder.step(performance.now() + this.sliceMs);
    } catch (error) {
      this.builder.cancel();
      this.fail(error);
      return;
    }
    if (result === "done") this.succeed();
    else if (result === "more") this.schedule();
    // "waiting": a worker result calls schedule() through onProgress.
  }

  private succeed(): void {
    this.settled = true;
    this.onDone();
    this.resolve(this.index);
  }

  private fail(error: unknown): void {
    this.settled = true;
    this.reject(error instanceof Error ? error : new Error(String(error)));
  }
}
