/**
 * Keeps the best k documents seen so far without sorting every candidate: a binary heap
 * with the worst kept document at the root, so a new candidate is compared once and
 * replaces the root only when it ranks higher.
 */

/** Ranking order: score desc, namespace asc, key asc. Negative when `a` ranks first. */
export function compareRanked(
  aScore: number,
  aNamespace: string,
  aKey: string,
  bScore: number,
  bNamespace: string,
  bKey: string,
): number {
  if (aScore !== bScore) return aScore > bScore ? -1 : 1;
  if (aNamespace !== bNamespace) return aNamespace < bNamespace ? -1 : 1;
  if (aKey !== bKey) return aKey < bKey ? -1 : 1;
  return 0;
}

export interface Ranked {
  doc: number;
  score: number;
  namespace: string;
  key: string;
}

function ranksBefore(a: Ranked, b: Ranked): boolean {
  return compareRanked(a.score, a.namespace, a.key, b.score, b.namespace, b.key) < 0;
}

export class TopK {
  private readonly items: Ranked[] = [];

  constructor(private readonly k: number) {}

  get size(): number {
    return this.items.length;
  }

  /** The score a candidate must at least reach to enter (−∞ until full). */
  get floor(): number {
    return this.items.length < this.k ? Number.NEGATIVE_INFINITY : (this.items[0] as Ranked).score;
  }

  offer(item: Ranked): void {
    const items = this.items;
    if (items.length < this.k) {
      items.push(item);
      this.up(items.length - 1);
    } else if (ranksBefore(item, items[0] as Ranked)) {
      items[0] = item;
      this.down(0);
    }
  }

  /** Best first. */
  sorted(): Ranked[] {
    return [...this.items].sort((a, b) =>
      compareRanked(a.score, a.namespace, a.key, b.score, b.namespace, b.key),
    );
  }

  private up(i: number): void {
    const items = this.items;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!ranksBefore(items[parent] as Ranked, items[i] as Ranked)) break;
      [items[parent], items[i]] = [items[i] as Ranked, items[parent] as Ranked];
      i = parent;
    }
  }

  private down(i: number): void {
    const items = this.items;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let worst = i;
      if (l < items.length && ranksBefore(items[worst] as Ranked, items[l] as Ranked)) worst = l;
      if (r < items.length && ranksBefore(items[worst] as Ranked, items[r] as Ranked)) worst = r;
      if (worst === i) return;
      [items[worst], items[i]] = [items[i] as Ranked, items[worst] as Ranked];
      i = worst;
    }
  }
}

/** The k-th largest of a stream of numbers (−∞ if fewer than k), with O(k) memory. */
export class KthLargest {
  private readonly heap: Float64Array;
  private n = 0;

  constructor(private readonly k: number) {
    this.heap = new Float64Array(k);
  }

  offer(x: number): void {
    const h = this.heap;
    if (this.n < this.k) {
      let i = this.n++;
      h[i] = x;
      while (i > 0) {
        const p = (i - 1) >> 1;
        if ((h[p] as number) <= (h[i] as number)) break;
        const t = h[p] as number;
        h[p] = h[i] as number;
        h[i] = t;
        i = p;
      }
    } else if (x > (h[0] as number)) {
      h[0] = x;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < this.n && (h[l] as number) < (h[m] as number)) m = l;
        if (r < this.n && (h[r] as number) < (h[m] as number)) m = r;
        if (m === i) break;
        const t = h[m] as number;
        h[m] = h[i] as number;
        h[i] = t;
        i = m;
      }
    }
  }

  get value(): number {
    return this.n < this.k ? Number.NEGATIVE_INFINITY : (this.heap[0] as number);
  }
}
