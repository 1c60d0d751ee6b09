/**
 * BM25F scoring: one BM25 saturation over a weighted sum of per-field, length-normalized
 * term frequencies (Robertson & Zaragoza 2009). Summing fields before saturating means a
 * word repeated in key, tags and body does not score three times over.
 */
import { FIELD_KEY, FIELD_TAGS, FIELD_VALUE, unpackTf } from "./analyzer.js";

export interface Bm25Params {
  k1: number;
  b: number;
  /** Weight per field: [key, tags, value]. */
  weights: readonly [number, number, number];
}

/** Collection statistics a score depends on; frozen into a cursor for stable paging. */
export interface CollectionStats {
  /** Average token count per field: [key, tags, value]. */
  avgLengths: readonly [number, number, number];
}

/** Probabilistic idf, floored at 0 by the +1 so very common terms never subtract. */
export function idf(docCount: number, docFreq: number): number {
  return Math.log(1 + (docCount - docFreq + 0.5) / (docFreq + 0.5));
}

/** The largest score one term can contribute to any document: saturation tends to k1+1. */
export function upperBound(termIdf: number, queryWeight: number, params: Bm25Params): number {
  return termIdf * queryWeight * (params.k1 + 1);
}

/**
 * Per-query scorer for one term's postings. Precomputes the per-field constants once so
 * the hot loop is a few multiplications per posting.
 */
export class TermScorer {
  private readonly kw: number;
  private readonly tw: number;
  private readonly vw: number;
  private readonly kb: number;
  private readonly tb: number;
  private readonly vb: number;
  private readonly kBase: number;
  private readonly tBase: number;
  private readonly vBase: number;
  private readonly k1: number;
  private readonly scale: number;

  constructor(termIdf: number, queryWeight: number, params: Bm25Params, stats: CollectionStats) {
    const [wk, wt, wv] = params.weights;
    this.kw = wk;
    this.tw = wt;
    this.vw = wv;
    // b * len / avg: a field nobody uses (avg 0) has no length effect.
    const [ak, at, av] = stats.avgLengths;
    this.kb = ak > 0 ? params.b / ak : 0;
    this.tb = at > 0 ? params.b / at : 0;
    this.vb = av > 0 ? params.b / av : 0;
    this.kBase = ak > 0 ? 1 - params.b : 1;
    this.tBase = at > 0 ? 1 - params.b : 1;
    this.vBase = av > 0 ? 1 - params.b : 1;
    this.k1 = params.k1;
    this.scale = termIdf * queryWeight * (params.k1 + 1);
  }

  /** Score of one posting, given the document's field lengths. */
  score(packed: number, keyLen: number, tagsLen: number, valueLen: number): number {
    let tf = 0;
    const k = unpackTf(packed, FIELD_KEY);
    if (k > 0) tf += (this.kw * k) / (this.kBase + this.kb * keyLen);
    const t = unpackTf(packed, FIELD_TAGS);
    if (t > 0) tf += (this.tw * t) / (this.tBase + this.tb * tagsLen);
    const v = unpackTf(packed, FIELD_VALUE);
    if (v > 0) tf += (this.vw * v) / (this.vBase + this.vb * valueLen);
    return (this.scale * tf) / (this.k1 + tf);
  }
}
