/**
 * Document and query analysis: text → tokens → (stop words out) → stems, counted per field.
 *
 * The same functions analyze documents and queries, so a query word always meets the
 * indexed form of the same word.
 */
import { stem } from "./stem.js";
import { PACKED_MAX, packWord, tokenize, wordHash } from "./tokenize.js";

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

export function incrementTf(packed: number, field: number): number {
  if (field === FIELD_VALUE) return (packed & VALUE_CAP) === VALUE_CAP ? packed : packed + 1;
  const shift = field === FIELD_TAGS ? TAGS_SHIFT : KEY_SHIFT;
  return ((packed >>> shift) & SMALL_CAP) === SMALL_CAP ? packed : packed + (1 << shift);
}

/*
 * Stemming is the costliest step per token and natural text repeats words, so results are
 * memoized; the memo is dropped when it grows large instead of tracking recency. (Indexing
 * does not need it: the index stems each distinct word once, when the word is first seen.)
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

/** The [key, tags, value] texts a document is analyzed from. */
export type FieldTexts = readonly [key: string, tags: string, value: string];

/**
 * A copy of `s` that does not keep a larger string alive: tokens are slices of a document's
 * text, and V8 may represent a slice as a view of the whole text.
 */
function detached(s: string): string {
  return s.length < 13 ? s : ` ${s}`.slice(1);
}

/**
 * Interned words in an open-addressing hash table (linear probing, backward-shift deletion)
 * that can also be probed with a slice of text (`findRange`), so that looking up a token
 * needs no string: the common case while indexing, where almost every token is a word seen
 * before. 16 bytes a slot, at most 3/4 full, plus the name.
 */
export class WordTable {
  /** Per id, the word; undefined for a released id. Replaced (not only changed) by restoreState. */
  names: (string | undefined)[] = [];
  private readonly free: number[] = [];
  /**
   * Four numbers per slot, side by side (one cache line): id + 1 (0: empty), the hash, and
   * the word's `packWord` packing (-1, -1 when it does not pack: then the name is compared).
   */
  private table = new Int32Array(SLOT * 1024);
  private mask = 1024 - 1;
  private shift = 32 - 10;
  private count = 0;

  get size(): number {
    return this.count;
  }

  get limit(): number {
    return this.names.length;
  }

  get(name: string): number | undefined {
    const h = wordHash(name);
    const packed = packWord(name, PACKED);
    const p0 = PACKED[0] as number;
    const p1 = PACKED[1] as number;
    const { table, mask } = this;
    for (let i = Math.imul(h, 0x9e3779b1) >>> this.shift; ; i = (i + 1) & mask) {
      const at = SLOT * i;
      const id = (table[at] as number) - 1;
      if (id < 0) return undefined;
      if (table[at + 1] !== h || table[at + 2] !== p0 || table[at + 3] !== p1) continue;
      if (packed || this.names[id] === name) return id;
    }
  }

  /** The id of the lower-cased `text[start, end)` (see `RangeSink` for the other numbers), or -1. */
  findRange(text: string, start: number, end: number, hash: number, p0: number, p1: number): number {
    const { table, mask } = this;
    const length = end - start;
    if (length <= PACKED_MAX) {
      for (let i = Math.imul(hash, 0x9e3779b1) >>> this.shift; ; i = (i + 1) & mask) {
        const at = SLOT * i;
        const id = (table[at] as number) - 1;
        if (id < 0) return -1;
        if (table[at + 1] === hash && table[at + 2] === p0 && table[at + 3] === p1) return id;
      }
    }
    for (let i = Math.imul(hash, 0x9e3779b1) >>> this.shift; ; i = (i + 1) & mask) {
      const at = SLOT * i;
      const id = (table[at] as number) - 1;
      if (id < 0) return -1;
      if (table[at + 1] !== hash || table[at + 2] !== -1) continue;
      const name = this.names[id] as string;
      if (name.length !== length) continue;
      let k = 0;
      while (k < length && name.charCodeAt(k) === (text.charCodeAt(start + k) | 32)) k++;
      if (k === length) return id;
    }
  }

  /** Adds `name`, which must be absent; `hash` is its `wordHash` when known. */
  add(name: string, hash: number = wordHash(name)): number {
    const id = this.free.pop() ?? this.names.length;
    this.names[id] = name;
    // At most 3/4 full: linear probing stays short (a probe run mostly sits in one cache line).
    if (4 * (this.count + 1) > 3 * (this.mask + 1)) this.rehash(2 * (this.mask + 1));
    packWord(name, PACKED);
    const { table, mask } = this;
    let i = Math.imul(hash, 0x9e3779b1) >>> this.shift;
    while (table[SLOT * i] !== 0) i = (i + 1) & mask;
    table[SLOT * i] = id + 1;
    table[SLOT * i + 1] = hash;
    table[SLOT * i + 2] = PACKED[0] as number;
    table[SLOT * i + 3] = PACKED[1] as number;
    this.count++;
    return id;
  }

  release(id: number): void {
    const name = this.names[id];
    if (name === undefined) return;
    const { table, mask, shift } = this;
    let i = Math.imul(wordHash(name), 0x9e3779b1) >>> shift;
    while (table[SLOT * i] !== id + 1) i = (i + 1) & mask;
    // Backward shift: pull later entries of the probe run into the hole when their home allows.
    for (let j = (i + 1) & mask; table[SLOT * j] !== 0; j = (j + 1) & mask) {
      const home = Math.imul(table[SLOT * j + 1] as number, 0x9e3779b1) >>> shift;
      const stays = i <= j ? home > i && home <= j : home > i || home <= j;
      if (stays) continue;
      table.copyWithin(SLOT * i, SLOT * j, SLOT * j + SLOT);
      i = j;
    }
    table[SLOT * i] = 0;
    this.names[id] = undefined;
    this.free.push(id);
    this.count--;
  }

  /** Everything the table is, for a persisted index (search/segment.ts). */
  exportState(): WordTableState {
    return {
      names: this.names.map((n) => n ?? null),
      free: [...this.free],
      table: this.table,
      mask: this.mask,
      shift: this.shift,
      count: this.count,
    };
  }

  /** Takes the state `exportState` gave (checked for shape, not for the words' hashes). */
  restoreState(state: WordTableState): void {
    const size = state.mask + 1;
    if (
      !Number.isInteger(size) ||
      size < 1024 ||
      (size & state.mask) !== 0 ||
      state.shift !== 32 - Math.log2(size) ||
      state.table.length !== SLOT * size ||
      !Number.isInteger(state.count) ||
      state.count < 0 ||
      state.count > state.names.length
    ) {
      throw new RangeError("word table state does not fit together");
    }
    // Taken over, not copied: a million words would be a million pushes.
    const names = state.names as (string | null | undefined)[];
    for (let i = 0; i < names.length; i++) if (names[i] === null) names[i] = undefined;
    this.names = names as (string | undefined)[];
    this.free.length = 0;
    for (const id of state.free) this.free.push(id);
    this.table = state.table;
    this.mask = state.mask;
    this.shift = state.shift;
    this.count = state.count;
  }

  private rehash(size: number): void {
    const old = this.table;
    const table = new Int32Array(SLOT * size);
    const mask = size - 1;
    const shift = 32 - Math.log2(size);
    for (let j = 0; j < old.length; j += SLOT) {
      if (old[j] === 0) continue;
      let i = Math.imul(old[j + 1] as number, 0x9e3779b1) >>> shift;
      while (table[SLOT * i] !== 0) i = (i + 1) & mask;
      const at = SLOT * i;
      table[at] = old[j] as number;
      table[at + 1] = old[j + 1] as number;
      table[at + 2] = old[j + 2] as number;
      table[at + 3] = old[j + 3] as number;
    }
    this.table = table;
    this.mask = mask;
    this.shift = shift;
  }
}

const SLOT = 4;
const PACKED = new Int32Array(2);

/** A WordTable as plain data: removed words are null in `names`. */
export interface WordTableState {
  names: (string | null)[];
  free: number[];
  table: Int32Array<ArrayBuffer>;
  mask: number;
  shift: number;
  count: number;
}

/** An Analyzer as plain data (its scratch buffers are not state). */
export interface AnalyzerState {
  words: WordTableState;
  info: Int32Array<ArrayBuffer>;
  stamp: number;
}

/** `a` if it has at least `size` slots, else a copy grown to at least `size` (zero-filled). */
export function grownInt32(a: Int32Array, size: number): Int32Array<ArrayBuffer> {
  if (a.length >= size) return a as Int32Array<ArrayBuffer>;
  const b = new Int32Array(Math.max(size, a.length * 2, 64));
  b.set(a);
  return b;
}

/** Term of a stop word (never indexed). */
export const STOP = -1;
/** Term of a word not (or no longer) known as a token: resolved (stemmed) when next seen. */
export const UNSET = -2;

/** `Analyzer.info` has INFO numbers per word id w, at INFO * w + one of the offsets below. */
export const INFO = 8;
/** The word's term when it occurs as a token: the id of its stem (often itself), STOP or UNSET. */
export const I_TERM = 0;
/** Stamp of the last document analyzed that had the word as a token. */
const I_SURFACE_STAMP = 1;
/** Live documents containing the word as a token (kept by the index). */
export const I_DOCS = 2;
/** Stamp of the last document analyzed that had the word as a term, and its slot then. */
export const I_TERM_STAMP = 3;
const I_TERM_SLOT = 4;
/** Live documents containing the word as a term: its document frequency (kept by the index). */
export const I_DF = 5;

/**
 * Turns documents into integer ids. Surface words (tokens before stemming) and index terms
 * (stems) share one dictionary: most words are their own stem, so a token and its term are
 * usually one id with one record — what a token needs is one hash-table slot and one 32-byte
 * record (`info`), and the index's counters are in that record too, already cached when it
 * counts. The stem of a word is computed once, when the word is first seen as a token.
 * Analyzing a document is then one table probe per token plus array writes; the result lands
 * in reusable typed buffers (valid until the next `analyze`). Stop words map to `STOP`.
 *
 * The index owns one analyzer (global ids); each build worker owns its own (local ids, sent
 * to the main thread as strings once and translated there).
 */
export class Analyzer {
  readonly words = new WordTable();
  /** Per word id: see the I_* offsets. */
  info = new Int32Array(INFO * 1024);

  /** Distinct surface (token) word ids of the last analyzed document, in order of appearance. */
  docSurfaces = new Int32Array(256);
  surfaceCount = 0;
  /** Distinct term ids of the last analyzed document and their packed field frequencies. */
  docTerms = new Int32Array(256);
  docTfs = new Int32Array(256);
  termCount = 0;
  /** Token count per field: [key, tags, value]. */
  readonly lengths: [number, number, number] = [0, 0, 0];

  private stamp = 0;
  private field = 0;
  private readonly onToken = (token: string): void => {
    const w = this.words.get(token);
    this.count(w === undefined ? this.addWord(detached(token), wordHash(token)) : w);
  };
  private readonly onRange = (
    text: string,
    start: number,
    end: number,
    hash: number,
    p0: number,
    p1: number,
  ): void => {
    const w = this.words.findRange(text, start, end, hash, p0, p1);
    this.count(w >= 0 ? w : this.addWord(detached(text.slice(start, end).toLowerCase()), hash));
  };

  constructor(stopWords: Iterable<string>) {
    for (const w of stopWords) this.info[INFO * this.internWord(w) + I_TERM] = STOP;
  }

  /** The term id of word `w` as a token (`STOP` for a stop word), stemming it if not known. */
  termOf(w: number): number {
    const t = this.info[INFO * w + I_TERM] as number;
    return t === UNSET ? this.resolveTerm(w) : t;
  }

  /** A stamp no word carries yet (for marking the words of one document). */
  newStamp(): number {
    return ++this.stamp;
  }

  analyze(texts: FieldTexts): void {
    // Stamps tell "already seen in this document" without clearing anything per document.
    this.stamp++;
    this.surfaceCount = 0;
    this.termCount = 0;
    for (let field = 0; field < FIELD_COUNT; field++) {
      this.field = field;
      this.lengths[field] = 0;
      tokenize(texts[field] as string, this.onToken, this.onRange);
    }
  }

  /** The id of word `name`, interned (term UNSET) if new. */
  internWord(name: string): number {
    return this.words.get(name) ?? this.addWord(detached(name), wordHash(name));
  }

  releaseWord(w: number): void {
    this.words.release(w);
    this.info.fill(0, INFO * w, INFO * w + INFO);
  }

  exportState(): AnalyzerState {
    return { words: this.words.exportState(), info: this.info, stamp: this.stamp };
  }

  restoreState(state: AnalyzerState): void {
    if (state.info.length < INFO * state.words.names.length || !Number.isSafeInteger(state.stamp)) {
      throw new RangeError("analyzer state does not fit together");
    }
    this.words.restoreState(state.words);
    this.info = state.info;
    this.stamp = state.stamp;
  }

  /** Drops spare capacity of the per-word array (after a bulk build). */
  trim(): void {
    this.info = this.info.slice(0, INFO * this.words.limit + INFO);
  }

  private addWord(name: string, hash: number): number {
    const w = this.words.add(name, hash);
    if (INFO * w + INFO > this.info.length) this.info = grownInt32(this.info, INFO * w + INFO);
    const at = INFO * w;
    this.info.fill(0, at, at + INFO);
    this.info[at + I_TERM] = UNSET;
    return w;
  }

  private resolveTerm(w: number): number {
    const name = this.words.names[w] as string;
    const stemmed = stem(name);
    const t = stemmed === name ? w : this.internWord(stemmed);
    this.info[INFO * w + I_TERM] = t;
    return t;
  }

  /** Counts one occurrence of word `w` as a token in the current field. */
  private count(w: number): void {
    let info = this.info;
    let t = info[INFO * w + I_TERM] as number;
    if (t === UNSET) {
      t = this.resolveTerm(w);
      info = this.info; // interning the stem may have grown it
    }
    if (t === STOP) return;
    const field = this.field;
    this.lengths[field] = (this.lengths[field] as number) + 1;
    const stamp = this.stamp;
    if (info[INFO * w + I_SURFACE_STAMP] !== stamp) {
      info[INFO * w + I_SURFACE_STAMP] = stamp;
      if (this.surfaceCount === this.docSurfaces.length)
        this.docSurfaces = grownInt32(this.docSurfaces, this.surfaceCount + 1);
      this.docSurfaces[this.surfaceCount++] = w;
    }
    let slot: number;
    if (info[INFO * t + I_TERM_STAMP] !== stamp) {
      info[INFO * t + I_TERM_STAMP] = stamp;
      slot = this.termCount++;
      if (slot === this.docTerms.length) {
        this.docTerms = grownInt32(this.docTerms, slot + 1);
        this.docTfs = grownInt32(this.docTfs, slot + 1);
      }
      info[INFO * t + I_TERM_SLOT] = slot;
      this.docTerms[slot] = t;
      this.docTfs[slot] = 0;
    } else {
      slot = info[INFO * t + I_TERM_SLOT] as number;
    }
    this.docTfs[slot] = incrementTf(this.docTfs[slot] as number, field);
  }
}

/** Distinct surface words of a query, in order of first appearance. */
export function analyzeQuery(text: string, stopWords: ReadonlySet<string>): string[] {
  const seen = new Set<string>();
  tokenize(text, (token) => {
    if (!stopWords.has(token)) seen.add(token);
  });
  return [...seen];
}
