/**
 * The one read API of the service. `readStore()` picks up what other processes committed
 * (Backend.refresh) and fixes the store's time once; the view it returns applies expiry by the
 * project's retention at that time. Every operation that reads goes through a view, so refresh
 * and expiry are decided here and nowhere else.
 */
import type { Entry } from "../domain/entry.js";
import { expiryOf, isExpired, type Retention } from "../domain/retention.js";
import type { Backend } from "../store/backend.js";

/** The fields expiry is judged by: an entry, or an entry-like record about to be stored. */
type Dated = Parameters<typeof isExpired>[0];

/** The store as one read sees it: at one moment of the store's clock, by one project's rules. */
export class StoreRead {
  constructor(
    private readonly store: Backend,
    readonly retention: Retention,
    /** The store's time this read is judged at (Backend.now). */
    readonly now: number,
  ) {}

  /** True when `entry` has expired by this project's retention at this read's time. */
  isExpired(entry: Dated): boolean {
    return isExpired(entry, this.retention, this.now);
  }

  /** When `entry` expires (its own TTL, else its namespace's retention), in epoch ms; undefined: never. */
  expiryOf(entry: Dated): number | undefined {
    return expiryOf(entry, this.retention);
  }

  /** The live entry under (namespace, key): undefined when there is none or it has expired. */
  get(namespace: string, key: string): Entry | undefined {
    const e = this.store.get(namespace, key);
    return e && !this.isExpired(e) ? e : undefined;
  }

  /** The stored entry, expired or not: for what looks past expiry (includeExpired, cleanup). */
  stored(namespace: string, key: string): Entry | undefined {
    return this.store.get(namespace, key);
  }

  /** Live entries of one namespace, or of every namespace. */
  *live(namespace?: string): Generator<Entry> {
    for (const e of this.all(namespace)) if (!this.isExpired(e)) yield e;
  }

  /** Every stored entry of one namespace or of all, the expired ones not yet removed included. */
  *all(namespace?: string): Generator<Entry> {
    if (namespace === undefined) yield* this.store.entries();
    else {
      const byKey = this.store.namespace(namespace);
      if (byKey) yield* byKey.values();
    }
  }

  /** Entries stored in `namespace`, expired ones included. */
  count(namespace: string): number {
    return this.store.namespace(namespace)?.size ?? 0;
  }

  /** Namespaces that hold stored entries, sorted. */
  namespaces(): string[] {
    return this.store.namespaces();
  }

  /** Entries stored, expired ones included. */
  get size(): number {
    return this.store.size;
  }

  /**
   * Picks up what was committed since this read began, still judged at its time: a query that
   * waited (for an embedding) answers from the freshest entries with the filter it planned.
   */
  catchUp(): void {
    this.store.refresh();
  }
}

export function readStore(store: Backend, retention: Retention): StoreRead {
  store.refresh();
  return new StoreRead(store, retention, store.now());
}
