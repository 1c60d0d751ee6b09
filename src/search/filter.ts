/**
 * Filters compiled once per query into a predicate over document numbers, so that they run
 * inside the scoring loop: a filtered query still returns `limit` hits when matching
 * documents exist, instead of filtering an already truncated top list.
 */
import type { InvertedIndex } from "./inverted.js";
import type { SearchFilter } from "./types.js";

export interface CompiledFilter {
  accepts(doc: number): boolean;
  /**
   * The earliest future expiry among accepted documents: until then (and given no writes)
   * the same query gives the same answer. Lets cached results live across `now` values.
   */
  readonly earliestExpiry: number;
  /** True when the only condition is "not expired", which callers may check inline. */
  readonly expiryOnly: boolean;
  readonly now: number;
  /** Lowers `earliestExpiry` for documents accepted by an inline check. */
  noteExpiry(expiry: number): void;
}

/** Validates what types cannot: numbers that are NaN, modes that are not modes. */
export function checkFilter(filter: SearchFilter): void {
  if (!Number.isFinite(filter.now)) throw new RangeError("filter.now must be a finite epoch-ms number");
  if (filter.since !== undefined && Number.isNaN(filter.since)) throw new RangeError("filter.since is NaN");
  if (filter.until !== undefined && Number.isNaN(filter.until)) throw new RangeError("filter.until is NaN");
  if (filter.tagMode !== undefined && filter.tagMode !== "all" && filter.tagMode !== "any") {
    throw new RangeError(`filter.tagMode must be "all" or "any", got ${JSON.stringify(filter.tagMode)}`);
  }
}

const rejectAll = (now: number): CompiledFilter => ({
  accepts: () => false,
  earliestExpiry: Number.POSITIVE_INFINITY,
  expiryOnly: false,
  now,
  noteExpiry: () => {},
});

export function compileFilter(index: InvertedIndex, filter: SearchFilter): CompiledFilter {
  checkFilter(filter);
  let namespaces: Set<number> | undefined;
  if (filter.namespaces !== undefined && filter.namespaces.length > 0) {
    namespaces = new Set();
    for (const ns of filter.namespaces) {
      const id = index.namespaceId(ns);
      if (id !== undefined) namespaces.add(id);
    }
    if (namespaces.size === 0) return rejectAll(filter.now);
  }
  let typeId: number | undefined;
  if (filter.type !== undefined) {
    typeId = index.typeId(filter.type);
    if (typeId === undefined) return rejectAll(filter.now);
  }
  const wanted = filter.tags !== undefined && filter.tags.length > 0 ? [...new Set(filter.tags)] : undefined;
  const anyTag = filter.tagMode === "any";
  const since = filter.since ?? Number.NEGATIVE_INFINITY;
  const until = filter.until ?? Number.POSITIVE_INFINITY;
  const now = filter.now;
  const includeExpired = filter.includeExpired === true;
  const { namespaceIds, typeIds, updatedAt, expiresAt, tags } = index;

  const compiled = {
    earliestExpiry: Number.POSITIVE_INFINITY,
    expiryOnly:
      !includeExpired &&
      namespaces === undefined &&
      typeId === undefined &&
      wanted === undefined &&
      since === Number.NEGATIVE_INFINITY &&
      until === Number.POSITIVE_INFINITY,
    now,
    noteExpiry(expiry: number): void {
      if (expiry < compiled.earliestExpiry) compiled.earliestExpiry = expiry;
    },
    accepts(doc: number): boolean {
      if (namespaces !== undefined && !namespaces.has(namespaceIds[doc] as number)) return false;
      if (typeId !== undefined && typeIds[doc] !== typeId) return false;
      const t = updatedAt[doc] as number;
      if (t < since || t > until) return false;
      if (wanted !== undefined) {
        const have = tags[doc] ?? [];
        if (anyTag ? !wanted.some((w) => have.includes(w)) : !wanted.every((w) => have.includes(w)))
          return false;
      }
      const expiry = expiresAt[doc] as number;
      // Expired means expiresAt <= now: an entry with a 0-ms TTL is never visible.
      if (!includeExpired) {
        if (expiry <= now) return false;
        if (expiry < compiled.earliestExpiry) compiled.earliestExpiry = expiry;
      }
      return true;
    },
  };
  return compiled;
}
