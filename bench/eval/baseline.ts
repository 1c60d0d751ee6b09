/**
 * The plain BM25 baseline: one field (key and text together), lower-cased alphanumeric runs as
 * terms, no stemming, no identifier splitting, no stop words, no fuzzy matching, no field
 * weights. k1 = 1.2, b = 0.75 (the usual defaults). What a typical "add BM25" would give.
 */
export interface BaselineDoc {
  key: string;
  text: string;
}

function terms(text: string): string[] {
  return text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
}

export class PlainBm25 {
  private readonly postings = new Map<string, Array<[doc: number, tf: number]>>();
  private readonly lengths: number[] = [];
  private readonly keys: string[] = [];
  private avgLength = 0;

  constructor(
    docs: readonly BaselineDoc[],
    private readonly k1 = 1.2,
    private readonly b = 0.75,
  ) {
    let total = 0;
    docs.forEach((d, i) => {
      const ts = terms(`${d.key} ${d.text}`);
      this.keys.push(d.key);
      this.lengths.push(ts.length);
      total += ts.length;
      const tf = new Map<string, number>();
      for (const t of ts) tf.set(t, (tf.get(t) ?? 0) + 1);
      for (const [t, n] of tf) {
        const list = this.postings.get(t);
        if (list) list.push([i, n]);
        else this.postings.set(t, [[i, n]]);
      }
    });
    this.avgLength = docs.length ? total / docs.length : 0;
  }

  /** Keys of the best `limit` documents, best first (ties by key). */
  search(query: string, limit: number): string[] {
    const n = this.keys.length;
    const scores = new Map<number, number>();
    for (const t of new Set(terms(query))) {
      const list = this.postings.get(t);
      if (!list) continue;
      const idf = Math.log(1 + (n - list.length + 0.5) / (list.length + 0.5));
      for (const [doc, tf] of list) {
        const norm = this.k1 * (1 - this.b + (this.b * (this.lengths[doc] as number)) / this.avgLength);
        scores.set(doc, (scores.get(doc) ?? 0) + (idf * tf * (this.k1 + 1)) / (tf + norm));
      }
    }
    return [...scores]
      .sort((a, b) => b[1] - a[1] || ((this.keys[a[0]] as string) < (this.keys[b[0]] as string) ? -1 : 1))
      .slice(0, limit)
      .map(([doc]) => this.keys[doc] as string);
  }
}
