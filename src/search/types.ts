/**
 * The public vocabulary of the search library. Every option says what it does and shows an
 * example; see README.md beside this file for the whole picture.
 */
import type { FuzzyOptions } from "./fuzzy.js";

/**
 * How query words meet indexed words.
 * - `fulltext`: exact (stemmed) terms only: "replicated" finds "replication", "replicaton" finds nothing.
 * - `fuzzy`: every query word also matches near vocabulary words (typos), weighted by similarity.
 * - `hybrid` (default): exact terms, plus fuzzy expansions for words that are absent or rare
 *   in the index, so typos still find while well-spelled queries stay precise.
 */
export type SearchMode = "fulltext" | "fuzzy" | "hybrid";

/** One searchable document, identified by (namespace, key). */
export interface SearchDoc {
  namespace: string;
  key: string;
  /** Any JSON; its string leaves, numbers and word-like object keys are indexed. */
  value: unknown;
  tags: readonly string[];
  /** episodic | semantic | procedural | meta | performance (not validated here). */
  type: string;
  /** Epoch ms; filtered on by `since`/`until`. */
  updatedAt: number;
  /** Epoch ms of effective expiry (TTL or retention), resolved by the caller. Absent: never. */
  expiresAt?: number;
}

/** Which documents may be returned. Applied while scoring, before the limit. */
export interface SearchFilter {
  /** Only these namespaces. Absent or empty: all. @example { namespaces: ["agents", "tasks"] } */
  namespaces?: readonly string[];
  /** Tags a document must carry (exact strings). Absent or empty: no tag condition. */
  tags?: readonly string[];
  /** `all` (default): every listed tag; `any`: at least one. */
  tagMode?: "all" | "any";
  /** Exact type. @example { type: "procedural" } */
  type?: string;
  /** updatedAt >= since (epoch ms, inclusive). */
  since?: number;
  /** updatedAt <= until (epoch ms, inclusive). */
  until?: number;
  /** Also return documents whose expiresAt <= now. Default false. */
  includeExpired?: boolean;
  /** The current time (epoch ms) expiry is judged against. */
  now: number;
}

/**
 * The scoring a result list was produced with, carried by a cursor so later pages score
 * every unchanged document exactly as the first page did (see `SearchCursor`). Opaque to
 * callers: pass it back untouched.
 */
export interface SearchPlan {
  text: string;
  mode: SearchMode;
  /** [index term, query weight, idf], in the order scores are summed. */
  terms: [term: string, weight: number, idf: number][];
  /** Average field lengths [key, tags, value] at the first page. */
  avgLengths: [number, number, number];
}

/**
 * The position after which the next page starts: the last hit of the previous page.
 *
 * Stable paging. Results are ordered by score desc, then namespace asc, then key asc
 * (code-unit order), a total order. BM25 scores depend on collection statistics (document
 * count, document frequencies, average lengths) that drift with every write, so a cursor
 * holding only a position could, after a write, see an unchanged document cross it and be
 * skipped or returned twice. A cursor therefore also carries the `plan`: the query terms
 * with their idf and the average lengths of the first page. Later pages score with the
 * plan, so an unchanged document has bit-for-bit the same score on every page and lands on
 * exactly one page. Guarantee: across pages, no document unchanged since the first page is
 * duplicated or skipped. Documents written in between are scored with the plan too: they
 * appear if they sort after the cursor, and a removed or expired document disappears.
 *
 * Use `SearchResult.next`; a hand-made cursor without `plan` continues by position using
 * current statistics (best effort).
 */
export interface SearchCursor {
  score: number;
  namespace: string;
  key: string;
  plan?: SearchPlan;
}

export interface SearchRequest {
  /** Free text. Empty (or only whitespace): no scoring, every document passing the filter, score 0. */
  text: string;
  /** Default `hybrid`. */
  mode?: SearchMode;
  filter: SearchFilter;
  /** Page size, a positive integer. */
  limit: number;
  /** Continue after this hit (from `SearchResult.next`). */
  after?: SearchCursor;
}

export interface SearchHit {
  namespace: string;
  key: string;
  score: number;
}

export interface SearchResult {
  hits: SearchHit[];
  /** More hits follow the last one. */
  hasMore: boolean;
  /** Cursor for the next page, present when `hasMore`. */
  next?: SearchCursor;
}

export interface FieldWeights {
  /** Default 3: a word in the key is the strongest signal. */
  key?: number;
  /** Default 2. */
  tags?: number;
  /** Default 1. */
  value?: number;
}

export interface SearchIndexOptions {
  /**
   * How much a term counts in each field (BM25F).
   * @example { fieldWeights: { key: 5 } } // keys count even more; tags and value keep defaults
   */
  fieldWeights?: FieldWeights;
  /** BM25 term-frequency saturation, >= 0. Default 0.8. @example { k1: 1.2 } */
  k1?: number;
  /** BM25 length normalization, 0 (none) .. 1 (full). Default 0.6. @example { b: 0.75 } */
  b?: number;
  /** Fuzzy expansion tuning. @example { fuzzy: { maxEdits: 1, maxExpansions: 2 } } */
  fuzzy?: FuzzyOptions;
  /** Most characters of text taken from one value. Default 65536. @example { maxTextChars: 16384 } */
  maxTextChars?: number;
  /** Words never indexed nor searched. Default: a short English list. @example { stopWords: [] } */
  stopWords?: readonly string[];
  /**
   * Results remembered by an LRU cache keyed by request and index generation (any write
   * invalidates). 0 disables. Default 1000. @example { cacheSize: 5000 }
   */
  cacheSize?: number;
}

export interface BuildOptions extends SearchIndexOptions {
  /**
   * Analyze on worker_threads too: workers analyze chunks of documents with their own word
   * ids while the main thread analyzes others and merges (word ids translated once per word,
   * postings laid out once at the end). Falls back to a sequential build where the compiled
   * worker script is not available. Default false.
   */
  parallel?: boolean;
  /**
   * Worker count with `parallel`. Default: cores minus one, at most 4, and 0 (sequential) when
   * that is below 2, where measurements showed no gain. @example { workers: 2 }
   */
  workers?: number;
  /** Documents per chunk (the unit handed to a worker). Default 2000. */
  chunkSize?: number;
  /**
   * `startBuild`: longest stretch of work (ms) between two yields to the event loop.
   * Default 10 (50 for the awaited `build`). @example { sliceMs: 5 }
   */
  sliceMs?: number;
}
