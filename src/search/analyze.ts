/**
 * Document and query analysis: text → tokens → (stop words out) → stems, counted per field.
 *
 * The same functions analyze documents and queries, so a query word always meets the
 * indexed form of the same word.
 */
import { stem } from "./stem.js";
import { tokenize } from "./tokenize.js";

/** Fields of a document, in the order used by packed term frequencies and length arrays. */
export const FIELD_KEY = 0;
export const FIELD_TAGS = 1;
export const FIELD_VALUE = 2;
export const FIELD_COUNT = 3;

/**
 * Words too frequent to tell documents apart. Dropping them keeps the longest posting lists
 * out of the index (faster queries, less memory); BM25 would give them ~0 weight anyway.
 */
export const DEFAULT_STOP_WORDS: readonly string[] = [
  "a",
  "an",
  "and",
  "are",
  "as",
  "at",
  "be",
  "by",
  "for",
  "from",
  "has",
  "have",
  "in",
  "is",
  "it",
  "its",
  "of",
  "on",
  "or",
  "that",
  "the",
  "this",
  "to",
  "was",
  "were",
  "will",
  "with",
];

/*
 * Per-document term frequencies of the three fields packed in one small integer (V8 keeps
 * it unboxed, so a posting costs no extra object): value tf in bits 0-15, tags tf in 16-22,
 * key tf in 23-29. Each count saturates at its cap; BM25 saturates long before that.
 */
const VALUE_CAP = 0xffff;
const SMALL_CAP = 0x7f;
const TAGS_SHIFT = 16;
const KEY_SHIFT = 23;

export function unpackTf(packed: number, field: number): number {
  if (field === FIELD_VALUE) return packed & VALUE_CAP;
  if (field === FIELD_TAGS) return (packed >>> TAGS_SHIFT) & SMALL_CAP;
  return (packed >>> KEY_SHIFT) & SMALL_CAP;
}

function incrementTf(packed: number, field: number): number {
  if (field === FIELD_VALUE) return (packed & VALUE_CAP) === VALUE_CAP ? packed : packed + 1;
  const shift = field === FIELD_TAGS ? TAGS_SHIFT : KEY_SHIFT;
  return ((packed >>> shift) & SMALL_CAP) === SMALL_CAP ? packed : packed + (1 << shift);
}

/** One document reduced to what the index stores. */
export interface AnalyzedDoc {
  /** Distinct surface words (before stemming), for the fuzzy vocabulary. */
  surfaces: string[];
  /** Distinct index terms (stems). */
  terms: string[];
  /** Packed per-field term frequency for each entry of `terms`. */
  packed: number[];
  /** Token count per field: [key, tags, value]. */
  lengths: [number, number, number];
}

/*
 * Stemming is the costliest step per token and natural text repeats words, so results are
 * memoized; the memo is dropped when it grows large instead of tracking recency.
 */
const STEM_MEMO_LIMIT = 50_000;
let stemMemo = new Map<string, string>();

export function stemCached(word: string): string {
  let s = stemMemo.get(word);
  if (s === undefined) {
    if (stemMemo.size >= STEM_MEMO_LIMIT) stemMemo = new Map();
    s = stem(word);
    stemMemo.set(word, s);
  }
  return s;
}

/** Analyzes the three field texts of one document. */
export function analyzeFields(
  fieldTexts: readonly [key: string, tags: string, value: string],
  stopWords: ReadonlySet<string>,
): AnalyzedDoc {
  const surfaces = new Set<string>();
  const tf = new Map<string, number>();
  const lengths: [number, number, number] = [0, 0, 0];
  for (let field = 0; field < FIELD_COUNT; field++) {
    let length = 0;
    tokenize(fieldTexts[field] ?? "", (token) => {
      if (stopWords.has(token)) return;
      length++;
      surfaces.add(token);
      const term = stemCached(token);
      tf.set(term, incrementTf(tf.get(term) ?? 0, field));
    });
    lengths[field] = length;
  }
  return { surfaces: [...surfaces], terms: [...tf.keys()], packed: [...tf.values()], lengths };
}

/** Distinct surface words of a query, in order of first appearance. */
export function analyzeQuery(text: string, stopWords: ReadonlySet<string>): string[] {
  const seen = new Set<string>();
  tokenize(text, (token) => {
    if (!stopWords.has(token)) seen.add(token);
  });
  return [...seen];
}

/*
 * Worker transport. A chunk of analyzed docs crosses the thread boundary as one string and
 * one typed array: cloning two flat values is far cheaper than cloning thousands of small
 * objects. Tokens never contain "\n" (the tokenizer splits on it), so it is a safe separator.
 */
export interface EncodedChunk {
  words: string;
  numbers: Float64Array;
}

export function encodeChunk(docs: readonly AnalyzedDoc[]): EncodedChunk {
  const words: string[] = [];
  let size = 0;
  for (const d of docs) size += 5 + d.terms.length;
  const numbers = new Float64Array(size);
  let i = 0;
  for (const d of docs) {
    numbers[i++] = d.surfaces.length;
    numbers[i++] = d.terms.length;
    numbers[i++] = d.lengths[0];
    numbers[i++] = d.lengths[1];
    numbers[i++] = d.lengths[2];
    for (const p of d.packed) numbers[i++] = p;
    for (const s of d.surfaces) words.push(s);
    for (const t of d.terms) words.push(t);
  }
  return { words: words.join("\n"), numbers };
}

export function decodeChunk(chunk: EncodedChunk): AnalyzedDoc[] {
  const words = chunk.words === "" ? [] : chunk.words.split("\n");
  const n = chunk.numbers;
  const docs: AnalyzedDoc[] = [];
  let i = 0;
  let w = 0;
  while (i < n.length) {
    const surfaceCount = n[i++] as number;
    const termCount = n[i++] as number;
    const lengths: [number, number, number] = [n[i++] as number, n[i++] as number, n[i++] as number];
    const packed = Array.from(n.subarray(i, i + termCount));
    i += termCount;
    const surfaces = words.slice(w, w + surfaceCount);
    w += surfaceCount;
    const terms = words.slice(w, w + termCount);
    w += termCount;
    docs.push({ surfaces, terms, packed, lengths });
  }
  return docs;
}

/** Worker-side job: analyze raw field texts and encode the result. */
export function analyzeChunk(
  fieldTexts: readonly (readonly [string, string, string])[],
  stopWords: readonly string[],
): EncodedChunk {
  const stop = new Set(stopWords);
  return encodeChunk(fieldTexts.map((f) => analyzeFields(f, stop)));
}
