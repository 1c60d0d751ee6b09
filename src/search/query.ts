/**
 * Query planning and top-k execution.
 *
 * Planning turns text into weighted index terms (exact stems, plus fuzzy expansions) with
 * their idf. Execution is term-at-a-time with MaxScore pruning (Turtle & Flood 1995):
 * terms are processed from highest to lowest score upper bound; once the upper bounds of
 * the remaining terms together cannot lift an unseen document above the current k-th best
 * partial score, the remaining (usually very common, long) posting lists are no longer
 * iterated: the candidates already found just look themselves up in them (binary search
 * in the sorted lists, or one pass when there are many candidates). The result is exactly the unpruned top k.
 */
import { analyzeQuery, stemCached } from "./analyzer.js";
import { type Bm25Params, idf, TermScorer, upperBound } from "./bm25.js";
import type { CompiledFilter } from "./filter.js";
import type { FuzzyOptions, FuzzyVocabulary } from "./fuzzy.js";
import type { InvertedIndex } from "./inverted.js";
import { compareRanked, KthLargest, type Ranked, TopK } from "./topk.js";
import type { SearchCursor, SearchMode, SearchPlan } from "./types.js";

/**
 * Words that shape a question but say nothing about its subject ("how do I", "when did we",
 * "which ... was it"). In a query that has other words they count for little; alone they count.
 */
const FUNCTION_WORDS: ReadonlySet<string> = new Set(
  (
    "what when where which who whom whose why how " +
    "am been being can could did do does doing had may might must shall should would " +
    "i me my mine we us our ours you your yours he him his she her hers they them their theirs " +
    "there these those someone anyone anybody somebody something anything " +
    "ever yet just also very too so then than some any each every such " +
    "about into onto over through during before after within without upon via " +
    "but if while because though whether nor"
  ).split(" "),
);

/** Query weight of a function word in a query that has other words: a tie-breaker, no more. */
const FUNCTION_WORD_WEIGHT = 0.2;

export interface PlanContext {
  index: InvertedIndex;
  fuzzy: FuzzyVocabulary;
  fuzzyOptions: Required<FuzzyOptions>;
  stopWords: ReadonlySet<string>;
}

/** Weighted terms for `text` under the current collection statistics. */
export function planQuery(ctx: PlanContext, text: string, mode: SearchMode): SearchPlan {
  const { index, fuzzy, fuzzyOptions } = ctx;
  const weights = new Map<string, number>();
  const raise = (term: string, weight: number) => {
    if ((weights.get(term) ?? 0) < weight) weights.set(term, weight);
  };
  const words = analyzeQuery(text, ctx.stopWords);
  const functionWeight = words.some((w) => !FUNCTION_WORDS.has(w)) ? FUNCTION_WORD_WEIGHT : 1;
  for (const word of words) {
    const term = stemCached(word);
    const own = FUNCTION_WORDS.has(word) ? functionWeight : 1;
    raise(term, own);
    if (mode === "fulltext") continue;
    const docFreq = index.docFreq(term);
    if (mode === "hybrid" && docFreq > fuzzyOptions.rareDocFrequency) continue;
    // A word the index lacks is a typo: its expansions stand in for it almost fully.
    const weight = (mode === "hybrid" && docFreq === 0 ? fuzzyOptions.typoWeight : fuzzyOptions.weight) * own;
    for (const e of fuzzy.expand(word, fuzzyOptions)) {
      if (e.term !== term) raise(e.term, weight * e.similarity);
    }
  }
  const n = index.docCount;
  const terms: [string, number, number][] = [];
  for (const [term, weight] of weights) {
    const docFreq = index.docFreq(term);
    if (docFreq > 0) terms.push([term, weight, idf(n, docFreq)]);
  }
  return { text, mode, terms, avgLengths: index.avgLengths() };
}

/** Throws unless `plan` is a well-formed plan for this text and mode (cursors come from outside). */
export function checkPlan(plan: SearchPlan, text: string, mode: SearchMode): void {
  const finite = (x: unknown) => typeof x === "number" && Number.isFinite(x);
  const wellFormed =
    typeof plan === "object" &&
    plan !== null &&
    Array.isArray(plan.terms) &&
    plan.terms.every((t) => Array.isArray(t) && typeof t[0] === "string" && finite(t[1]) && finite(t[2])) &&
    Array.isArray(plan.avgLengths) &&
    plan.avgLengths.length === 3 &&
    plan.avgLengths.every(finite);
  if (!wellFormed) throw new RangeError("after.plan is malformed: pass back the cursor exactly as returned");
  if (plan.text !== text || plan.mode !== mode) {
    throw new RangeError("after: this cursor belongs to a different query (text or mode changed)");
  }
}

export interface ExecuteOptions {
  limit: number;
  after?: SearchCursor;
  /** Off only in tests, to check pruning against the exhaustive answer. */
  prune?: boolean;
}

export interface Execution {
  top: Ranked[];
  hasMore: boolean;
}

/** Reusable per-document scratch, sized to the document table; owned by one index. */
export class Scratch {
  scores = new Float64Array(0);
  /** 0 unseen, 1 candidate, 2 rejected (by filter or pruned). */
  state = new Uint8Array(0);
  touched: number[] = [];

  ensure(size: number): void {
    if (this.scores.length >= size) return;
    const cap = Math.max(size, this.scores.length * 2, 1024);
    this.scores = new Float64Array(cap);
    this.state = new Uint8Array(cap);
  }

  reset(): void {
    for (const doc of this.touched) this.state[doc] = 0;
    this.touched = [];
  }
}

/**
 * x < limit with a margin for rounding: bounds are summed in a different order than
 * scores, so they may differ in the last bits, and pruning must never be wrong.
 */
function surelyBelow(x: number, limit: number): boolean {
  return x < limit - Math.abs(limit) * 1e-9;
}

const CANDIDATE = 1;
const REJECTED = 2;

export function execute(
  index: InvertedIndex,
  plan: SearchPlan,
  params: Bm25Params,
  filter: CompiledFilter,
  scratch: Scratch,
  options: ExecuteOptions,
): Execution {
  const prune = options.prune !== false;
  const after = options.after;
  const k = options.limit + 1; // one extra tells whether more follow
  const stats = { avgLengths: plan.avgLengths };

  const { postings, termStart, termLength } = index;
  const terms = plan.terms
    .map(([term, weight, termIdf]) => {
      const id = index.termId(term);
      const start = id === undefined ? 0 : (termStart[id] as number);
      return {
        start,
        end: id === undefined ? 0 : start + (termLength[id] as number),
        scorer: new TermScorer(termIdf, weight, params, stats),
        bound: upperBound(termIdf, weight, params),
        term,
      };
    })
    .filter((t) => t.end > t.start)
    // Summation order is part of the score (floating point): fix it by the plan alone.
    .sort((a, b) => b.bound - a.bound || (a.term < b.term ? -1 : a.term > b.term ? 1 : 0));
  const rest = new Float64Array(terms.length + 1);
  for (let i = terms.length - 1; i >= 0; i--)
    rest[i] = (rest[i + 1] as number) + (terms[i] as { bound: number }).bound;

  scratch.ensure(index.docNumLimit);
  const { scores, state } = scratch;
  const touched = scratch.touched;
  const [keyLen, tagsLen, valueLen] = index.lengths;
  const alive = index.alive;
  // The common filter (only "not expired") is checked inline: a call per new document costs.
  const expiryOnly = filter.expiryOnly;
  const expiresAt = index.expiresAt;
  const now = filter.now;
  let earliestExpiry = Number.POSITIVE_INFINITY;

  try {
    let threshold = Number.NEGATIVE_INFINITY;
    let i = 0;
    // Phase 1: scan posting lists while an unseen document could still reach the top k.
    for (; i < terms.length; i++) {
      if (prune && surelyBelow(rest[i] as number, threshold)) break;
      const { start, end, scorer } = terms[i] as (typeof terms)[number];
      for (let j = start; j < end; j++) {
        const doc = postings[2 * j] as number;
        const s = state[doc];
        if (s === REJECTED) continue;
        if (s !== CANDIDATE) {
          touched.push(doc);
          if (alive[doc] === 0 || (expiryOnly ? (expiresAt[doc] as number) <= now : !filter.accepts(doc))) {
            state[doc] = REJECTED;
            continue;
          }
          if (expiryOnly && (expiresAt[doc] as number) < earliestExpiry)
            earliestExpiry = expiresAt[doc] as number;
          state[doc] = CANDIDATE;
          scores[doc] = 0;
        }
        scores[doc] =
          (scores[doc] as number) +
          scorer.score(
            postings[2 * j + 1] as number,
            keyLen[doc] as number,
            tagsLen[doc] as number,
            valueLen[doc] as number,
          );
      }
      if (prune && i + 1 < terms.length)
        threshold = kthPartial(touched, state, scores, k, rest[i + 1] as number, after);
    }

    // Phase 2: only the candidates found so far can make the top k; finish their scores.
    let candidates = touched.filter((doc) => state[doc] === CANDIDATE);
    for (; i < terms.length; i++) {
      const remaining = rest[i] as number;
      candidates = candidates.filter((doc) => {
        if (!surelyBelow((scores[doc] as number) + remaining, threshold)) return true;
        state[doc] = REJECTED;
        return false;
      });
      const { start, end, scorer } = terms[i] as (typeof terms)[number];
      const add = (doc: number, packed: number) => {
        scores[doc] =
          (scores[doc] as number) +
          scorer.score(packed, keyLen[doc] as number, tagsLen[doc] as number, valueLen[doc] as number);
      };
      // Probing costs ~log2(list) per candidate; scanning costs the list length.
      const length = end - start;
      if (candidates.length * Math.log2(2 * length + 2) > length) {
        for (let j = start; j < end; j++) {
          const doc = postings[2 * j] as number;
          if (state[doc] === CANDIDATE) add(doc, postings[2 * j + 1] as number);
        }
      } else {
        for (const doc of candidates) {
          const at = findDoc(postings, start, end, doc);
          if (at >= 0) add(doc, postings[2 * at + 1] as number);
        }
      }
    }

    const top = new TopK(k);
    for (const doc of candidates) {
      // A match only in zero-weight fields is no match.
      if (state[doc] !== CANDIDATE || (scores[doc] as number) <= 0) continue;
      offer(index, top, doc, scores[doc] as number, after);
    }
    if (expiryOnly) filter.noteExpiry(earliestExpiry);
    return finish(top, options.limit);
  } finally {
    scratch.reset();
  }
}

/** Every document passing the filter, score 0: the listing an empty query asks for. */
export function listAll(index: InvertedIndex, filter: CompiledFilter, options: ExecuteOptions): Execution {
  const top = new TopK(options.limit + 1);
  index.forEachDoc((doc) => {
    if (filter.accepts(doc)) offer(index, top, doc, 0, options.after);
  });
  return finish(top, options.limit);
}

/** Pair index of `doc` in the (doc, tf) pairs `[start, end)` ascending by doc, or -1. */
function findDoc(postings: Int32Array, start: number, end: number, doc: number): number {
  let lo = start;
  let hi = end - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const d = postings[2 * mid] as number;
    if (d === doc) return mid;
    if (d < doc) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}

function offer(index: InvertedIndex, top: TopK, doc: number, score: number, after: SearchCursor | undefined) {
  // Most candidates lose to the current k-th best on score alone: reject them before building a hit.
  if (score < top.floor) return;
  const namespace = index.namespaceNames[index.namespaceIds[doc] as number] as string;
  const key = index.keys[doc] as string;
  if (
    after !== undefined &&
    compareRanked(score, namespace, key, after.score, after.namespace, after.key) <= 0
  )
    return;
  top.offer({ doc, score, namespace, key });
}

function finish(top: TopK, limit: number): Execution {
  const sorted = top.sorted();
  return { top: sorted.slice(0, limit), hasMore: sorted.length > limit };
}

/**
 * A lower bound on the final k-th best score: the k-th best partial score among candidates
 * that are sure to come after the cursor (their score cannot exceed partial + remaining).
 */
function kthPartial(
  touched: readonly number[],
  state: Uint8Array,
  scores: Float64Array,
  k: number,
  remaining: number,
  after: SearchCursor | undefined,
): number {
  const kth = new KthLargest(k);
  const ceiling = after === undefined ? Number.POSITIVE_INFINITY : after.score;
  for (const doc of touched) {
    if (state[doc] !== CANDIDATE) continue;
    const partial = scores[doc] as number;
    if (surelyBelow(partial + remaining, ceiling)) kth.offer(partial);
  }
  return kth.value;
}
