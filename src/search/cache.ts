/**
 * A least-recently-used cache whose entries are tied to a generation: the index bumps its
 * generation on every write, and an entry stored under an older generation is a miss (and
 * is dropped), so a changed index never serves a stale answer.
 *
 * @example
 *   const cache = new QueryCache<string[]>(2);
 *   cache.set("q", 7, ["a"]);
 *   cache.get("q", 7); // ["a"]      (hit)
 *   cache.get("q", 8); // undefined  (miss: the index changed)
 */
export class QueryCache<V> {
  private readonly entries = new Map<string, { generation: number; value: V }>();
  private hits = 0;
  private misses = 0;

  /** @param capacity most entries kept; 0 keeps none. */
  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 0) {
      throw new RangeError(`cache capacity must be a non-negative integer, got ${capacity}`);
    }
  }

  /**
   * @param usable optional extra validity check (e.g. a time window); an entry failing it
   *   is a miss and is dropped.
   */
  get(key: string, generation: number, usable?: (value: V) => boolean): V | undefined {
    const entry = this.entries.get(key);
    if (
      entry === undefined ||
      entry.generation !== generation ||
      (usable !== undefined && !usable(entry.value))
    ) {
      if (entry !== undefined) this.entries.delete(key);
      this.misses++;
      return undefined;
    }
    // Map iteration order is insertion order: re-inserting marks the entry most recent.
    this.entries.delete(key);
    this.entries.set(key, entry);
    this.hits++;
    return entry.value;
  }

  set(key: string, generation: number, value: V): void {
    if (this.capacity === 0) return;
    this.entries.delete(key);
    this.entries.set(key, { generation, value });
    if (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next();
      if (oldest.done !== true) this.entries.delete(oldest.value);
    }
  }

  clear(): void {
    this.entries.clear();
  }

  get stats(): { hits: number; misses: number; size: number } {
    return { hits: this.hits, misses: this.misses, size: this.entries.size };
  }
}
