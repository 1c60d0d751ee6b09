/**
 * Queries answered by scanning entries instead of the index: exact keys, key prefixes and
 * filter-only listings, and text queries while memory.indexing is off. Hits are ordered like
 * index hits (score, namespace, key), so one cursor format pages them all.
 */
import type { Entry } from "../../domain/entry.js";
import type { SearchCursor, SearchFilter } from "../../search/api.js";
import type { QueryInput, QueryOutput } from "../operations/query.js";
import type { StoreRead } from "../reads.js";
import { type Hit, page } from "./page.js";
import type { QueryPlan } from "./plan.js";

/** Key, key-prefix and filter-only listings: exact matches score 1, listings are newest first. */
export function scanQuery(read: StoreRead, input: QueryInput, q: QueryPlan, exactText?: string): QueryOutput {
  const { filter } = q;
  const key = input.key ?? (exactText && input.keyPrefix === undefined ? exactText : undefined);
  const hits: Hit[] = [];
  for (const ns of filter.namespaces ?? read.namespaces()) {
    if (key !== undefined) {
      const e = read.stored(ns, key);
      if (e && passes(read, e, filter)) hits.push({ namespace: ns, key: e.key, score: 1 });
      continue;
    }
    for (const e of read.all(ns)) {
      if (input.keyPrefix !== undefined && !e.key.startsWith(input.keyPrefix)) continue;
      if (!passes(read, e, filter)) continue;
      // Listings order by recency; the score carries it so the cursor order is the same total order.
      const score = input.keyPrefix !== undefined ? 1 : Date.parse(e.updatedAt);
      hits.push({ namespace: ns, key: e.key, score });
    }
  }
  const { hits: pageHits, hasMore } = pageAfter(hits, q.after, q.limit);
  return page(pageHits, hasMore, q.queryId, q.maxBytes, (n, k) => read.stored(n, k));
}

/** With memory.indexing off: a plain scan that counts query words found in key, value and tags. */
export function substringQuery(read: StoreRead, q: QueryPlan): QueryOutput {
  const { filter } = q;
  const words = q.text.toLowerCase().split(/\s+/).filter(Boolean);
  const hits: Hit[] = [];
  for (const ns of filter.namespaces ?? read.namespaces()) {
    for (const e of read.all(ns)) {
      if (!passes(read, e, filter)) continue;
      const hay = `${e.key} ${JSON.stringify(e.value)} ${e.tags.join(" ")}`.toLowerCase();
      const score = words.filter((w) => hay.includes(w)).length;
      if (score > 0) hits.push({ namespace: ns, key: e.key, score });
    }
  }
  const { hits: pageHits, hasMore } = pageAfter(hits, q.after, q.limit);
  return page(pageHits, hasMore, q.queryId, q.maxBytes, (n, k) => read.stored(n, k));
}

/** The filter of a query applied to one entry, as the index applies it while scoring. */
export function passes(read: StoreRead, e: Entry, f: SearchFilter): boolean {
  if (f.type && e.type !== f.type) return false;
  if (f.tags?.length) {
    const has = (t: string) => e.tags.includes(t);
    if (f.tagMode === "any" ? !f.tags.some(has) : !f.tags.every(has)) return false;
  }
  if (f.since !== undefined || f.until !== undefined) {
    const t = Date.parse(e.updatedAt);
    if (f.since !== undefined && t < f.since) return false;
    if (f.until !== undefined && t > f.until) return false;
  }
  return f.includeExpired || !read.isExpired(e);
}

/** Sorts scan hits into the cursor order and takes the page that follows `after`. */
function pageAfter(
  hits: Hit[],
  after: SearchCursor | undefined,
  limit: number,
): { hits: Hit[]; hasMore: boolean } {
  hits.sort(compareHits);
  let start = 0;
  if (after) while (start < hits.length && compareHits(hits[start] as Hit, after) <= 0) start++;
  return { hits: hits.slice(start, start + limit), hasMore: start + limit < hits.length };
}

function compareHits(a: Hit, b: SearchCursor): number {
  if (a.score !== b.score) return b.score - a.score;
  if (a.namespace !== b.namespace) return cmp(a.namespace, b.namespace);
  return cmp(a.key, b.key);
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
