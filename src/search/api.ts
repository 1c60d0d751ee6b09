/**
 * memory-bank search: an in-memory inverted index with BM25F ranking, a light English
 * stemmer, fuzzy (typo-tolerant) term expansion, filters inside scoring, stable cursor
 * paging and a generation-keyed result cache. No I/O; see README.md in this folder.
 */
export { DEFAULT_STOP_WORDS } from "./analyzer.js";
export { QueryCache } from "./cache.js";
export type { FuzzyOptions } from "./fuzzy.js";
export { IndexBuild, SearchIndex, type SearchIndexState } from "./search-index.js";
export { decodeSegment, encodeSegment, SegmentError } from "./segment.js";
export { stem } from "./stem.js";
export { tokenize, tokens } from "./tokenize.js";
export type {
  BuildOptions,
  FieldWeights,
  SearchCursor,
  SearchDoc,
  SearchFilter,
  SearchHit,
  SearchIndexOptions,
  SearchMode,
  SearchPlan,
  SearchRequest,
  SearchResult,
} from "./types.js";
export { flattenText } from "./value-text.js";
