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
  readonly names: (string | undefined)[] = [];
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

/** `a` if it has at least `size` slots, else a copy grown to at least `size` (zero-filled). */
export function grownInt32(a: Int32Array, size: number): Int32Array<ArrayBuffer> {
  if (a.length >= size) return a as Int32Array<ArrayBuffer>;
  const b = new Int32Array(Math.max(size, a.length * 2, 64));
  b.set(a);
  return b;
}

/** Surface id marking a stop word: never indexed. */
export const STOP = -1;

/**
 * Turns documents into integer ids: every distinct surface word (a token before stemming)
 * and every distinct index term (a stem) is interned once, and the stem of a surface word is
 * computed once, when the word is first seen. Analyzing a document is then one map lookup
 * per token plus array writes; the result lands in reusable typed buffers (valid until the
 * next `analyze`). Stop words are interned up front and map to `STOP`.
 *
 * The index owns one analyzer (global ids); each build worker owns its own (local ids, sent
 * to the main thread as strings once and translated there).
 */
export class Analyzer {
  readonly surfaces = new WordTable();
  readonly terms = new WordTable();
  /**
   * Per surface id s, four numbers side by side (what a token needs costs one cache miss,
   * and the index's per-word counter is then already cached): the term id (`STOP` for stop
   * words) at [4s], the stamp of the last document that had the word at [4s + 1], and the
   * number of live documents containing it (kept by the index) at [4s + 2]. See `termOf`.
   */
  surfaceInfo = new Int32Array(4 * 1024);
  /**
   * Per term id t: the stamp of the last document that had it at [4t], its slot in
   * `docTerms` then at [4t + 1], and its document frequency (kept by the index) at [4t + 2].
   */
  termInfo = new Int32Array(4 * 1024);

  /** Distinct surface ids of the last analyzed document, in order of appearance. */
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
    const s = this.surfaces.get(token);
    this.count(s === undefined ? this.newSurface(token, wordHash(token)) : s);
  };
  private readonly onRange = (
    text: string,
    start: number,
    end: number,
    hash: number,
    p0: number,
    p1: number,
  ): void => {
    const s = this.surfaces.findRange(text, start, end, hash, p0, p1);
    this.count(s >= 0 ? s : this.newSurface(text.slice(start, end).toLowerCase(), hash));
  };

  constructor(stopWords: Iterable<string>) {
    for (const w of stopWords) if (this.surfaces.get(w) === undefined) this.internSurface(w, STOP);
  }

  /** The term id of surface `s` (`STOP` for a stop word). */
  termOf(s: number): number {
    return this.surfaceInfo[4 * s] as number;
  }

  /** A stamp no term or surface carries yet (for marking words of one document). */
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

  /** The id of term `name`, interned if new. */
  internTerm(name: string): number {
    return this.terms.get(name) ?? this.addTerm(detached(name));
  }

  /** The id of surface word `name` whose term is `term` (or STOP), interned if new. */
  internSurface(name: string, term: number): number {
    return this.surfaces.get(name) ?? this.addSurface(detached(name), wordHash(name), term);
  }

  /** Drops spare capacity of the per-word arrays (after a bulk build). */
  trim(): void {
    this.surfaceInfo = this.surfaceInfo.slice(0, 4 * this.surfaces.limit + 4);
    this.termInfo = this.termInfo.slice(0, 4 * this.terms.limit + 4);
  }

  releaseSurface(id: number): void {
    this.surfaces.release(id);
  }

  releaseTerm(id: number): void {
    this.terms.release(id);
  }

  /** A token seen for the first time: stem it once, for good. */
  private newSurface(token: string, hash: number): number {
    const name = detached(token);
    const stemmed = stem(name);
    // Most words are their own stem: share the string.
    const term = this.terms.get(stemmed) ?? this.addTerm(stemmed === name ? name : detached(stemmed));
    return this.addSurface(name, hash, term);
  }

  private addTerm(name: string): number {
    const t = this.terms.add(name);
    if (4 * t + 3 >= this.termInfo.length) this.termInfo = grownInt32(this.termInfo, 4 * t + 4);
    this.termInfo.fill(0, 4 * t, 4 * t + 4);
    return t;
  }

  private addSurface(name: string, hash: number, term: number): number {
    const s = this.surfaces.add(name, hash);
    if (4 * s + 3 >= this.surfaceInfo.length) this.surfaceInfo = grownInt32(this.surfaceInfo, 4 * s + 4);
    this.surfaceInfo.fill(0, 4 * s, 4 * s + 4);
    this.surfaceInfo[4 * s] = term;
    return s;
  }

  /** Counts one occurrence of surface `s` in the current field. */
  private count(s: number): void {
    const info = this.surfaceInfo;
    const t = info[4 * s] as number;
    if (t === STOP) return;
    const field = this.field;
    this.lengths[field] = (this.lengths[field] as number) + 1;
    const stamp = this.stamp;
    if (info[4 * s + 1] !== stamp) {
      info[4 * s + 1] = stamp;
      if (this.surfaceCount === this.docSurfaces.length)
        this.docSurfaces = grownInt32(this.docSurfaces, this.surfaceCount + 1);
      this.docSurfaces[this.surfaceCount++] = s;
    }
    const termInfo = this.termInfo;
    let slot: number;
    if (termInfo[4 * t] !== stamp) {
      termInfo[4 * t] = stamp;
      slot = this.termCount++;
      if (slot === this.docTerms.length) {
        this.docTerms = grownInt32(this.docTerms, slot + 1);
        this.docTfs = grownInt32(this.docTfs, slot + 1);
      }
      termInfo[4 * t + 1] = slot;
      this.docTerms[slot] = t;
      this.docTfs[slot] = 0;
    } else {
      slot = termInfo[4 * t + 1] as number;
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
