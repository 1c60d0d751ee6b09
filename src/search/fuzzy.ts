/**
 * Fuzzy term expansion: "postgress replicaton" → the vocabulary's "postgresql", "replication".
 *
 * fuse.js ranks near words well but scans its whole list on every search, far too slow
 * for a 200k-word vocabulary. So fuse only ever sees a handful of candidates, found by:
 *  1. length buckets: a word within d edits has a length within d;
 *  2. a 32-bit letter-set signature per word: one edit changes at most two bits, so
 *     popcount(a ^ b) <= 2d is a necessary condition, checked with integer ops over a
 *     typed array (tens of thousands of words per millisecond);
 *  3. a bounded edit distance (Damerau, optimal string alignment) that gives up as soon as a
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

function signature(word: string): number {
  let sig = 0;
  for (let i = 0; i < word.length; i++) {
    const c = word.charCodeAt(i);
    const bit = c >= 97 && c <= 122 ? c - 97 : 26 + (c % 6);
    sig |= 1 << bit;
  }
  return sig;
}

function popcount(x: number): number {
  let v = x - ((x >>> 1) & 0x55555555);
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  return (((v + (v >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
}

/** Optimal-string-alignment distance, or max+1 as soon as it must exceed max. */
export function boundedEditDistance(a: string, b: string, max: number): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  const n = b.length;
  let prev2 = new Array<number>(n + 1).fill(0);
  let prev = Array.from({ length: n + 1 }, (_, j) => j);
  let cur = new Array<number>(n + 1).fill(0);
  for (let i = 1; i <= a.length; i++) {
    cur[0] = i;
    let rowMin = i;
    for (let j = 1; j <= n; j++) {
      const cost = a.charCodeAt(i - 1) === b.charCodeAt(j - 1) ? 0 : 1;
      let d = Math.min((prev[j] as number) + 1, (cur[j - 1] as number) + 1, (prev[j - 1] as number) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        d = Math.min(d, (prev2[j - 2] as number) + 1);
      }
      cur[j] = d;
      if (d < rowMin) rowMin = d;
    }
    if (rowMin > max) return max + 1;
    [prev2, prev, cur] = [prev, cur, prev2];
  }
  return prev[n] as number;
}

class Bucket {
  signatures = new Int32Array(16);
  words: (string | undefined)[] = [];
  terms: (string | undefined)[] = [];
  free: number[] = [];

  add(word: string, term: string): number {
    const slot = this.free.pop() ?? this.words.length;
    if (slot >= this.signatures.length) {
      const grown = new Int32Array(this.signatures.length * 2);
      grown.set(this.signatures);
      this.signatures = grown;
    }
    this.signatures[slot] = signature(word);
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

/** The fuzzy side of the vocabulary; kept in step with the index as a `VocabularyListener`. */
export class FuzzyVocabulary implements VocabularyListener {
  private readonly buckets: Bucket[] = Array.from({ length: MAX_WORD + 1 }, () => new Bucket());
  private readonly slots = new Map<string, number>();
  /** Expansions per query word; any vocabulary change makes them stale. */
  private memo = new Map<string, readonly Expansion[]>();

  added(surface: string, term: string): void {
    if (surface.length < MIN_WORD || surface.length > MAX_WORD || !LETTERS_ONLY.test(surface)) return;
    this.slots.set(surface, (this.buckets[surface.length] as Bucket).add(surface, term));
    if (this.memo.size > 0) this.memo = new Map();
  }

  removed(surface: string): void {
    const slot = this.slots.get(surface);
    if (slot === undefined) return;
    this.slots.delete(surface);
    (this.buckets[surface.length] as Bucket).remove(slot);
    if (this.memo.size > 0) this.memo = new Map();
  }

  clear(): void {
    for (const b of this.buckets) {
      b.signatures = new Int32Array(16);
      b.words = [];
      b.terms = [];
      b.free = [];
    }
    this.slots.clear();
    this.memo = new Map();
  }

  /**
   * Near vocabulary terms for one query word, best first, excluding the word itself.
   * Deterministic: ties are broken by term, never by bucket order.
   */
  expand(word: string, options: Required<FuzzyOptions>): readonly Expansion[] {
    if (word.length < options.minLength || word.length > MAX_WORD || !LETTERS_ONLY.test(word)) return [];
    const memoKey = `${word}\u0000${options.maxEdits}\u0000${options.maxExpansions}`;
    const known = this.memo.get(memoKey);
    if (known !== undefined) return known;

    const maxEdits = Math.min(options.maxEdits, word.length <= 5 ? 1 : 2);
    const sig = signature(word);
    const candidates: { surface: string; term: string; distance: number }[] = [];
    const lo = Math.max(MIN_WORD, word.length - maxEdits);
    const hi = Math.min(MAX_WORD, word.length + maxEdits);
    for (let len = lo; len <= hi; len++) {
      const bucket = this.buckets[len] as Bucket;
      const sigs = bucket.signatures;
      const words = bucket.words;
      for (let i = 0; i < words.length; i++) {
        if (popcount((sigs[i] as number) ^ sig) > 2 * maxEdits) continue;
        const w = words[i];
        if (w === undefined || w === word) continue;
        const distance = boundedEditDistance(word, w, maxEdits);
        if (distance <= maxEdits) candidates.push({ surface: w, term: bucket.terms[i] as string, distance });
      }
    }
    const result = rank(word, candidates, options.maxExpansions);
    this.memo.set(memoKey, result);
    return result;
  }
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
