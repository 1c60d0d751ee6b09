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
import { type AnalyzedDoc, analyzeFields, DEFAULT_STOP_WORDS } from "./analyze.js";
import type { Bm25Params } from "./bm25.js";
import { analyzeInParallel, defaultWorkerCount, type FieldTexts, workerScript } from "./build.js";
import { QueryCache } from "./cache.js";
import { compileFilter } from "./filter.js";
import { DEFAULT_FUZZY, type FuzzyOptions, FuzzyVocabulary } from "./fuzzy.js";
import { type DocMeta, InvertedIndex } from "./inverted.js";
import { checkPlan, execute, listAll, type PlanContext, planQuery, Scratch } from "./query.js";
import { DEFAULT_MAX_TEXT_CHARS, flattenText } from "./text.js";
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

const DEFAULT_CACHE_SIZE = 1000;
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
  private inverted = new InvertedIndex(this.fuzzyVocabulary);
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
      ["k1", options.k1 ?? 1.2],
    ] as const) {
      if (!Number.isFinite(x) || x < 0)
        throw new RangeError(`${name} must be a finite number >= 0, got ${x}`);
    }
    const b = options.b ?? 0.75;
    if (!(b >= 0 && b <= 1)) throw new RangeError(`b must be between 0 and 1, got ${b}`);
    this.params = { k1: options.k1 ?? 1.2, b, weights };
    this.fuzzyOptions = { ...DEFAULT_FUZZY, ...definedOnly(options.fuzzy ?? {}) };
    const f = this.fuzzyOptions;
    for (const name of ["maxEdits", "minLength", "maxExpansions", "rareDocFrequency"] as const) {
      if (!Number.isInteger(f[name]) || f[name] < 0) {
        throw new RangeError(`fuzzy.${name} must be an integer >= 0, got ${f[name]}`);
      }
    }
    if (!(f.weight >= 0 && f.weight <= 1))
      throw new RangeError(`fuzzy.weight must be between 0 and 1, got ${f.weight}`);
    this.maxTextChars = options.maxTextChars ?? DEFAULT_MAX_TEXT_CHARS;
    if (!Number.isInteger(this.maxTextChars) || this.maxTextChars < 0) {
      throw new RangeError(`maxTextChars must be an integer >= 0, got ${this.maxTextChars}`);
    }
    this.stopWordList = [...(options.stopWords ?? DEFAULT_STOP_WORDS)].map((s) => s.toLowerCase());
    this.stopWords = new Set(this.stopWordList);
    this.cache = new QueryCache(options.cacheSize ?? DEFAULT_CACHE_SIZE);
  }

  /**
   * Builds an index from many documents. With `parallel: true`, documents are tokenized on
   * worker threads in chunks while the main thread inserts; the result is identical to a
   * sequential build. Runs sequentially when the compiled worker script is not present
   * (e.g. when running TypeScript sources under a test runner).
   *
   * @example const index = await SearchIndex.build(entries, { parallel: true, workers: 2 });
   */
  static async build(
    docs: Iterable<SearchDoc> | SearchDoc[],
    options: BuildOptions = {},
  ): Promise<SearchIndex> {
    const index = new SearchIndex(options);
    const script = options.parallel === true ? workerScript() : undefined;
    const workers = options.workers ?? defaultWorkerCount();
    if (script === undefined || workers < 1) {
      for (const doc of docs) index.upsert(doc);
      return index;
    }
    const chunkSize = options.chunkSize ?? 2000;
    if (!Number.isInteger(chunkSize) || chunkSize < 1)
      throw new RangeError(`chunkSize must be an integer >= 1`);
    const metas: DocMeta[][] = [];
    const chunks: FieldTexts[][] = [];
    for (const doc of docs) {
      checkDoc(doc);
      let last = chunks[chunks.length - 1];
      if (last === undefined || last.length >= chunkSize) {
        last = [];
        chunks.push(last);
        metas.push([]);
      }
      last.push(index.fieldTexts(doc));
      (metas[metas.length - 1] as DocMeta[]).push(metaOf(doc));
    }
    await analyzeInParallel(script, chunks, index.stopWordList, workers, (analyzed, c) => {
      const chunkMetas = metas[c] as DocMeta[];
      for (let i = 0; i < analyzed.length; i++)
        index.insert(chunkMetas[i] as DocMeta, analyzed[i] as AnalyzedDoc);
    });
    return index;
  }

  /** Adds the document, or replaces the one with the same (namespace, key). O(words in doc). */
  upsert(doc: SearchDoc): void {
    checkDoc(doc);
    this.insert(metaOf(doc), analyzeFields(this.fieldTexts(doc), this.stopWords));
  }

  /** Removes the document if present (absent is not an error). */
  remove(namespace: string, key: string): void {
    if (this.inverted.remove(namespace, key)) this.gen++;
  }

  clear(): void {
    this.fuzzyVocabulary.clear();
    this.inverted = new InvertedIndex(this.fuzzyVocabulary);
    this.cache.clear();
    this.gen++;
  }

  /** Number of documents. */
  get size(): number {
    return this.inverted.docCount;
  }

  /** Number of distinct index terms (stems). */
  get termCount(): number {
    return this.inverted.postings.size;
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

  private insert(meta: DocMeta, analyzed: AnalyzedDoc): void {
    this.inverted.add(meta, analyzed);
    this.gen++;
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
