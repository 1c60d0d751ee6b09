/**
 * The entries a backend holds in memory, by namespace and key, and what the Backend contract
 * asks of them: the read side (`get`, `namespace`, `namespaces`, `entries`, `size`), a revision
 * that moves on every change, and observers that hear every applied change once, in order.
 * Backends keep their state in one of these, so the read side of the contract is written once
 * and behaves the same whichever backend is behind the service.
 */
import type { Entry } from "../domain/entry.js";
import type { Change, StoreObserver } from "./backend.js";

type ByNamespace = Map<string, Map<string, Entry>>;

export class EntryState {
  private byNamespace: ByNamespace = new Map();
  private count = 0;
  private _revision = 0;
  private readonly observers: StoreObserver[] = [];

  get(namespace: string, key: string): Entry | undefined {
    return this.byNamespace.get(namespace)?.get(key);
  }

  namespace(namespace: string): ReadonlyMap<string, Entry> | undefined {
    return this.byNamespace.get(namespace);
  }

  /** Namespaces holding at least one entry, sorted. */
  namespaces(): string[] {
    return [...this.byNamespace.keys()].filter((ns) => (this.byNamespace.get(ns)?.size ?? 0) > 0).sort();
  }

  *entries(): IterableIterator<Entry> {
    for (const byKey of this.byNamespace.values()) yield* byKey.values();
  }

  get size(): number {
    return this.count;
  }

  get revision(): number {
    return this._revision;
  }

  observe(observer: StoreObserver): void {
    this.observers.push(observer);
  }

  /** A change that is not an entry's (a compaction, say): readers caching by revision look again. */
  bump(): void {
    this._revision++;
  }

  put(entry: Entry): void {
    let byKey = this.byNamespace.get(entry.namespace);
    if (!byKey) {
      byKey = new Map();
      this.byNamespace.set(entry.namespace, byKey);
    }
    const previous = byKey.get(entry.key);
    byKey.set(entry.key, entry);
    if (!previous) this.count++;
    this._revision++;
    this.emit(previous ? { kind: "put", entry, previous } : { kind: "put", entry });
  }

  del(namespace: string, key: string): void {
    const byKey = this.byNamespace.get(namespace);
    const entry = byKey?.get(key);
    if (!byKey || !entry) return;
    byKey.delete(key);
    this.count--;
    this._revision++;
    this.emit({ kind: "del", entry });
  }

  /**
   * Replaces the whole state at once (a load). `reset`: observers hear one reset and read the
   * state afresh (the first load). `diff`: they hear only the entries that differ from before
   * (a reload after another process compacted), so a search index is patched, not rebuilt.
   * A later entry with the same namespace and key replaces an earlier one.
   */
  load(entries: Iterable<Entry>, announce: "reset" | "diff"): void {
    const next: ByNamespace = new Map();
    let count = 0;
    for (const entry of entries) {
      let byKey = next.get(entry.namespace);
      if (!byKey) {
        byKey = new Map();
        next.set(entry.namespace, byKey);
      }
      if (!byKey.has(entry.key)) count++;
      byKey.set(entry.key, entry);
    }
    const old = this.byNamespace;
    this.byNamespace = next;
    this.count = count;
    this._revision++;
    if (announce === "reset") {
      for (const o of this.observers) o.reset();
    } else {
      this.emitDiff(old);
    }
  }

  private emitDiff(old: ByNamespace): void {
    for (const [ns, byKey] of this.byNamespace) {
      const before = old.get(ns);
      for (const [key, entry] of byKey) {
        const prev = before?.get(key);
        // The same write seen twice (id, version and time agree) is no change.
        if (
          prev &&
          prev.id === entry.id &&
          prev.version === entry.version &&
          prev.updatedAt === entry.updatedAt
        ) {
          continue;
        }
        this.emit(prev ? { kind: "put", entry, previous: prev } : { kind: "put", entry });
      }
    }
    for (const [ns, byKey] of old) {
      const now = this.byNamespace.get(ns);
      for (const [key, entry] of byKey) if (!now?.has(key)) this.emit({ kind: "del", entry });
    }
  }

  private emit(change: Change): void {
    for (const o of this.observers) o.applied(change);
  }
}
