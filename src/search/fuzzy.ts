/**
 * Fuzzy term expansion: "postgress replicaton" → the vocabulary's "postgresql", "replication".
 *
 * fuse.js ranks near words well but scans its whole list on every search, far too slow
 * for a 200k-word vocabulary. So fuse only ever sees a handful of candidates, found by:
 *  1. buckets by length and by first / second letter (see `expand`): a word within d
 *     edits has a length within d, and typos rarely hit the first two letters both;
 *  2. a 64-bit letter-count signature per word (see `signature`): one edit changes it by
 *     at most 2, so a difference <= 2d is a necessary condition, checked with integer ops
 *     over a typed array (tens of thousands of words per millisecond);
 *  3. shared bigrams (see `sharedBigrams`);
 *  4. a bounded edit distance (Damerau, optimal string alignment) that gives up as soon as a
 *     row exceeds d.
 * The buckets are maintained incrementally as words enter and leave the vocabulary.
 *
 * Matching is on surface words (before stemming): "replicaton" is one edit from
 * "replication" but four from its stem "replic".
 */
import Fuse from "fuse.js";
import type { VocabularyListener } from "./inverted.js";

/** How query words are expanded; every field has a default. */
export interface FuzzyOptions {
  /**
   * Most edits (insert, delete, substitute, swap) between a query word and a vocabulary word.
   * Words of 4-5 characters allow at most 1 regardless. Default 2.
   * @example { maxEdits: 1 } // only single typos
   */
  maxEdits?: number;
  /** Query words shorter than this are never expanded (too many neighbours). Default 4. */
  minLength?: number;
  /** Most vocabulary terms one query word expands to. Default 3. */
  maxExpansions?: number;
  /**
   * Weight of an expansion relative to an exact term, multiplied by its similarity (0..1).
   * Keeps a typo match below a real match. Default 0.5.
   */
  weight?: number;
  /**
   * In `hybrid` mode, weight of the expansions of a query word the index does not hold at all,
   * multiplied by their similarity. Such a word is nearly always a typo and there is no exact
   * match to keep above its expansions, so they count almost as the word itself. Default 1.
   * @example { typoWeight: 0.8 }
   */
  typoWeight?: number;
  /**
   * In `hybrid` mode, a query word is expanded only when its term occurs in at most this
   * many documents: absent words are typos, rare ones may be; common ones are not. Default 2.
   */
  rareDocFrequency?: number;
}

export const DEFAULT_FUZZY: Required<FuzzyOptions> = {
  maxEdits: 2,
  minLength: 4,
  maxExpansions: 3,
  weight: 0.5,
  typoWeight: 1,
  rareDocFrequency: 2,
};

export interface Expansion {
  surface: string;
  term: string;
  /** 0..1, 1 = identical. */
  similarity: number;
}

const MIN_WORD = 3;
const MAX_WORD = 32;
/** Only letter words are fuzzy targets: ids and numbers with one changed digit are other things. */
const LETTERS_ONLY = /^\p{L}+$/u;

/*
 * Letter-count signature in two 32-bit halves: 2 bits per letter holding min(count, 2) in
 * unary (0 → 00, 1 → 01, 2+ → 11), so popcount(a ^ b) sums the per-letter count
 * differences. A substitution moves at most 2 of that sum, an insertion or deletion 1, a
 * swap 0: a word within d edits differs by at most 2d.
 * Half 0: a..p. Half 1: q..z, then 6 buckets for any other letter.
 */
function signature(word: string, out: Int32Array, at: number): void {
  let lo = 0;
  let hi = 0;
  for (let i = 0; i < word.length; i++) {
    const c = word.charCodeAt(i);
    const slot = c >= 97 && c <= 122 ? c - 97 : 26 + (c % 6);
    if (slot < 16) {
      const bits = (lo >>> (2 * slot)) & 3;
      lo |= (bits === 0 ? 1 : 3) << (2 * slot);
    } else {
      const sh = 2 * (slot - 16);
      const bits = (hi >>> sh) & 3;
      hi |= (bits === 0 ? 1 : 3) << sh;
    }
  }
  out[at] = lo;
  out[at + 1] = hi;
}

function popcount(x: number): number {
  let v = x - ((x >>> 1) & 0x55555555);
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  return (((v + (v >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
}

// Three reusable rows: the distance runs once per surviving candidate, so no allocation.
const ROW_SIZE = MAX_WORD + 2;
let rowA = new Int32Array(ROW_SIZE);
let rowB = new Int32Array(ROW_SIZE);
let rowC = new Int32Array(ROW_SIZE);

/** Optimal-string-alignment distance, or max+1 as soon as it must exceed max. */
export function boundedEditDistance(a: string, b: string, max: number): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  const n = b.length;
  if (n + 1 > rowA.length) {
    rowA = new Int32Array(n + 1);
    rowB = new Int32Array(n + 1);
    rowC = new Int32Array(n + 1);
  }
  let prev2 = rowA;
  let prev = rowB;
  let cur = rowC;
  for (let j = 0; j <= n; j++) prev[j] = j;
  for (let i = 1; i <= a.length; i++) {
    cur[0] = i;
    let rowMin = i;
    const ai = a.charCodeAt(i - 1);
    for (let j = 1; j <= n; j++) {
      const bj = b.charCodeAt(j - 1);
      let d = (prev[j - 1] as number) + (ai === bj ? 0 : 1);
      const del = (prev[j] as number) + 1;
      if (del < d) d = del;
      const ins = (cur[j - 1] as number) + 1;
      if (ins < d) d = ins;
      if (i > 1 && j > 1 && ai === b.charCodeAt(j - 2) && a.charCodeAt(i - 2) === bj) {
        const swap = (prev2[j - 2] as number) + 1;
        if (swap < d) d = swap;
      }
      cur[j] = d;
      if (d < rowMin) rowMin = d;
    }
    if (rowMin > max) return max + 1;
    const t = prev2;
    prev2 = prev;
    prev = cur;
    cur = t;
  }
  return prev[n] as number;
}

/*
 * Bigram filter, the third check before the edit distance. Turning the query into w with
 * d edits leaves all but at most 3 per edit (a swap touches 3) of w's bigram positions
 * holding a bigram that also occurs in the query. The query's bigrams sit in a small
 * open-addressed table stamped per query, so it is never cleared.
 */
const BIGRAM_SLOTS = 256;
const bigramKey = new Int32Array(BIGRAM_SLOTS);
const bigramStamp = new Int32Array(BIGRAM_SLOTS);
let stamp = 0;

function bigramSlot(key: number): number {
  let h = Math.imul(key, 0x9e3779b1) >>> 24;
  while (bigramStamp[h] === stamp && bigramKey[h] !== key) h = (h + 1) & (BIGRAM_SLOTS - 1);
  return h;
}

function loadQueryBigrams(word: string): void {
  stamp++;
  for (let i = 1; i < word.length; i++) {
    const key = (word.charCodeAt(i - 1) << 16) | word.charCodeAt(i);
    const h = bigramSlot(key);
    bigramStamp[h] = stamp;
    bigramKey[h] = key;
  }
}

/** Positions of `w` whose bigram occurs in the loaded query. */
function sharedBigrams(w: string): number {
  let shared = 0;
  for (let i = 1; i < w.length; i++) {
    if (bigramStamp[bigramSlot((w.charCodeAt(i - 1) << 16) | w.charCodeAt(i))] === stamp) shared++;
  }
  return shared;
}

class Bucket {
  /** Two signature halves per slot. */
  signatures = new Int32Array(32);
  words: (string | undefined)[] = [];
  terms: (string | undefined)[] = [];
  free: number[] = [];

  add(word: string, term: string): number {
    const slot = this.free.pop() ?? this.words.length;
    if (2 * slot >= this.signatures.length) {
      const grown = new Int32Array(this.signatures.length * 2);
      grown.set(this.signatures);
      this.signatures = grown;
    }
    signature(word, this.signatures, 2 * slot);
    this.words[slot] = word;
    this.terms[slot] = term;
    return slot;
  }

  remove(slot: number): void {
    this.words[slot] = undefined;
    this.terms[slot] = undefined;
    this.free.push(slot);
  }
}

const SLOT_SPLIT = 2 ** 26;

/** The fuzzy side of the vocabulary; kept in step with the index as a `VocabularyListener`. */
export class FuzzyVocabulary implements VocabularyListener {
  /** Buckets by (length, letter position 0 or 1, letter): see `bucketKey`. */
  private buckets = new Map<number, Bucket>();
  /** Expansions per query word; any vocabulary change makes them stale. */
  private memo = new Map<string, readonly Expansion[]>();

  /**
   * Files the word under its first and under its second letter; returns both slots packed
   * in one number (-1: not a fuzzy target), handed back on removal.
   */
  added(surface: string, term: string): number {
    if (surface.length < MIN_WORD || surface.length > MAX_WORD || !LETTERS_ONLY.test(surface)) return -1;
    if (this.memo.size > 0) this.memo = new Map();
    const first = this.bucket(surface.length, 0, surface.charCodeAt(0)).add(surface, term);
    const second = this.bucket(surface.length, 1, surface.charCodeAt(1)).add(surface, term);
    return first * SLOT_SPLIT + second;
  }

  removed(surface: string, slot: number): void {
    if (slot < 0) return;
    this.bucket(surface.length, 0, surface.charCodeAt(0)).remove(Math.floor(slot / SLOT_SPLIT));
    this.bucket(surface.length, 1, surface.charCodeAt(1)).remove(slot % SLOT_SPLIT);
    if (this.memo.size > 0) this.memo = new Map();
  }

  clear(): void {
    this.buckets = new Map();
    this.memo = new Map();
  }

  /**
   * Near vocabulary terms for one query word, best first, excluding the word itself.
   * Deterministic: ties are broken by term, never by bucket order.
   *
   * Only words sharing a letter with the query's first two letters (in either of those
   * positions) are considered: that covers any single edit at the start (a substitution,
   * insertion, deletion or swap there keeps one of the two) and cuts the scan ~10x. Two
   * edits both within the first two letters are not found.
   */
  expand(word: string, options: Required<FuzzyOptions>): readonly Expansion[] {
    if (word.length < options.minLength || word.length > MAX_WORD || !LETTERS_ONLY.test(word)) return [];
    const memoKey = `${word}\u0000${options.maxEdits}\u0000${options.maxExpansions}`;
    const known = this.memo.get(memoKey);
    if (known !== undefined) return known;

    const maxEdits = Math.min(options.maxEdits, word.length <= 5 ? 1 : 2);
    const sig = new Int32Array(2);
    signature(word, sig, 0);
    const sigLo = sig[0] as number;
    const sigHi = sig[1] as number;
    const maxSigDiff = 2 * maxEdits;
    const q0 = word.charCodeAt(0);
    const q1 = word.charCodeAt(1);
    const candidates: { surface: string; term: string; distance: number }[] = [];
    loadQueryBigrams(word);
    const lo = Math.max(MIN_WORD, word.length - maxEdits);
    const hi = Math.min(MAX_WORD, word.length + maxEdits);
    const scan = (bucket: Bucket | undefined, skipIfFirstIsQueryLetter: boolean) => {
      if (bucket === undefined) return;
      const sigs = bucket.signatures;
      const words = bucket.words;
      for (let i = 0; i < words.length; i++) {
        if (
          popcount((sigs[2 * i] as number) ^ sigLo) + popcount((sigs[2 * i + 1] as number) ^ sigHi) >
          maxSigDiff
        ) {
          continue;
        }
        const w = words[i];
        if (w === undefined || w === word) continue;
        if (skipIfFirstIsQueryLetter && (w.charCodeAt(0) === q0 || w.charCodeAt(0) === q1)) continue;
        if (sharedBigrams(w) < w.length - 1 - 3 * maxEdits) continue;
        const distance = boundedEditDistance(word, w, maxEdits);
        if (distance <= maxEdits) candidates.push({ surface: w, term: bucket.terms[i] as string, distance });
      }
    };
    for (let len = lo; len <= hi; len++) {
      scan(this.buckets.get(bucketKey(len, 0, q0)), false);
      if (q1 !== q0) scan(this.buckets.get(bucketKey(len, 0, q1)), false);
      // Words met above (first letter is q0 or q1) are skipped here: each is scanned once.
      scan(this.buckets.get(bucketKey(len, 1, q0)), true);
      if (q1 !== q0) scan(this.buckets.get(bucketKey(len, 1, q1)), true);
    }
    const result = rank(word, candidates, options.maxExpansions);
    this.memo.set(memoKey, result);
    return result;
  }

  private bucket(length: number, position: number, letter: number): Bucket {
    const key = bucketKey(length, position, letter);
    let bucket = this.buckets.get(key);
    if (bucket === undefined) {
      bucket = new Bucket();
      this.buckets.set(key, bucket);
    }
    return bucket;
  }
}

function bucketKey(length: number, position: number, letter: number): number {
  return (letter * (MAX_WORD + 1) + length) * 2 + position;
}

/**
 * fuse.js scores how well the query word matches each candidate (its Bitap score rewards
 * matching runs of characters, e.g. a shared prefix); blended with the edit distance, which
 * fuse ignores beyond its pattern (it would rate "replic" a perfect match for "replication").
 */
function rank(word: string, candidates: { surface: string; term: string; distance: number }[], max: number) {
  if (candidates.length === 0) return [];
  const fuse = new Fuse(
    candidates.map((c) => c.surface),
    { includeScore: true, ignoreLocation: true, threshold: 1, isCaseSensitive: true, shouldSort: false },
  );
  const fuseScore = new Map<string, number>();
  for (const r of fuse.search(word)) fuseScore.set(r.item, r.score ?? 1);

  const bestPerTerm = new Map<string, Expansion>();
  for (const c of candidates) {
    const editSimilarity = 1 - c.distance / Math.max(word.length, c.surface.length);
    const similarity = 0.5 * editSimilarity + 0.5 * (1 - (fuseScore.get(c.surface) ?? 1));
    const prev = bestPerTerm.get(c.term);
    if (
      prev === undefined ||
      similarity > prev.similarity ||
      (similarity === prev.similarity && c.surface < prev.surface)
    ) {
      bestPerTerm.set(c.term, { surface: c.surface, term: c.term, similarity });
    }
  }
  return [...bestPerTerm.values()]
    .sort((a, b) => b.similarity - a.similarity || (a.term < b.term ? -1 : a.term > b.term ? 1 : 0))
    .slice(0, max);
}
