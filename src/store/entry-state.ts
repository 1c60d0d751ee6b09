/**
 * The entries a backend holds in memory, by namespace and key, and what the Backend contract
 * asks of them: the read side (`get`, `namespace`, `namespaces`, `entries`, `size`), a revision
 * that moves on every change, and observers that hear every applied change once, in order.
 * Backends keep their state in one of these, so the read side of the contract is written once
 * and behaves the same whichever backend is behind the service.
 *
 * A load may leave entries unparsed (`loadLines`): the map then holds the line's number until
 * the entry is first read, and every read side method parses it then, once. Nothing outside
 * this class can tell.
 */
import type { Entry } from "../domain/entry.js";
import type { Change, StoreObserver } from "./backend.js";

/** An entry, or the number of its line in `Lines` while it has not been read yet. */
type Slot = Entry | number;
type ByNamespace = Map<string, Map<string, Slot>>;

/** Entries not parsed yet, by line number (a snapshot read by lines: store/json/snapshot.ts). */
export interface Lines {
  count: number;
  namespaces: readonly string[];
  keys: readonly string[];
  entry(line: number): Entry;
}

export class EntryState {
  private byNamespace: ByNamespace = new Map();
  private count = 0;
  private _revision = 0;
  private readonly observers: StoreObserver[] = [];
  /** The lines the map still refers to, and how many of its slots still do (0: let them go). */
  private lines: Lines | undefined;
  private unread = 0;

  get(namespace: string, key: string): Entry | undefined {
    const byKey = this.byNamespace.get(namespace);
    const slot = byKey?.get(key);
    return typeof slot === "number" ? this.read(byKey as Map<string, Slot>, key, slot) : slot;
  }

  namespace(namespace: string): ReadonlyMap<string, Entry> | undefined {
    const byKey = this.byNamespace.get(namespace);
    return byKey && new NamespaceView(byKey, (key, line) => this.read(byKey, key, line));
  }

  /** Parses line `line` into the slot of `key` (once: the slot then holds the entry). */
  private read(byKey: Map<string, Slot>, key: string, line: number): Entry {
    const entry = (this.lines as Lines).entry(line);
    byKey.set(key, entry);
    this.released();
    return entry;
  }

  /** The entry of a slot about to be replaced or removed (parsed if unread: observers are told it). */
  private taken(slot: Slot | undefined): Entry | undefined {
    if (typeof slot !== "number") return slot;
    const entry = (this.lines as Lines).entry(slot);
    this.released();
    return entry;
  }

  /** One slot fewer refers to the lines: the last one lets the file's bytes go. */
  private released(): void {
    if (--this.unread === 0) this.lines = undefined;
  }

  /** Namespaces holding at least one entry, sorted. */
  namespaces(): string[] {
    return [...this.byNamespace.keys()].filter((ns) => (this.byNamespace.get(ns)?.size ?? 0) > 0).sort();
  }

  *entries(): IterableIterator<Entry> {
    for (const byKey of this.byNamespace.values()) {
      for (const [key, slot] of byKey) yield typeof slot === "number" ? this.read(byKey, key, slot) : slot;
    }
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

  /** `at`: where the change's record ends in the backend's log, when it comes from there (Change.at). */
  put(entry: Entry, at?: number): void {
    let byKey = this.byNamespace.get(entry.namespace);
    if (!byKey) {
      byKey = new Map();
      this.byNamespace.set(entry.namespace, byKey);
    }
    const previous = this.taken(byKey.get(entry.key));
    byKey.set(entry.key, entry);
    if (!previous) this.count++;
    this._revision++;
    const change: Change = previous ? { kind: "put", entry, previous } : { kind: "put", entry };
    if (at !== undefined) change.at = at;
    this.emit(change);
  }

  del(namespace: string, key: string, at?: number): void {
    const byKey = this.byNamespace.get(namespace);
    const entry = this.taken(byKey?.get(key));
    if (!byKey || !entry) return;
    byKey.delete(key);
    this.count--;
    this._revision++;
    this.emit(at !== undefined ? { kind: "del", entry, at } : { kind: "del", entry });
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
    this.replace(next, count, undefined, 0, announce);
  }

  /**
   * Like `load`, with the entries left unparsed until read: `lines` gives each line's
   * namespace and key now and its entry when asked. Observers hear one reset.
   */
  loadLines(lines: Lines): void {
    const next: ByNamespace = new Map();
    let count = 0;
    let byKey: Map<string, Slot> | undefined;
    let ns: string | undefined;
    for (let i = 0; i < lines.count; i++) {
      const namespace = lines.namespaces[i] as string;
      if (namespace !== ns) {
        ns = namespace;
        byKey = next.get(namespace);
        if (!byKey) {
          byKey = new Map();
          next.set(namespace, byKey);
        }
      }
      const map = byKey as Map<string, Slot>;
      const before = map.size;
      map.set(lines.keys[i] as string, i);
      if (map.size > before) count++;
    }
    // A key given twice keeps its later line: slots referring to lines are the entries.
    this.replace(next, count, lines, count, "reset");
  }

  private replace(
    next: ByNamespace,
    count: number,
    lines: Lines | undefined,
    unread: number,
    announce: "reset" | "diff",
  ): void {
    const old = this.byNamespace;
    const oldLines = this.lines;
    this.byNamespace = next;
    this.count = count;
    this.lines = unread > 0 ? lines : undefined;
    this.unread = unread;
    this._revision++;
    if (announce === "reset") {
      for (const o of this.observers) o.reset();
    } else {
      this.emitDiff(old, oldLines);
    }
  }

  private emitDiff(old: ByNamespace, oldLines: Lines | undefined): void {
    const was = (slot: Slot | undefined) =>
      typeof slot === "number" ? (oldLines as Lines).entry(slot) : slot;
    for (const [ns, byKey] of this.byNamespace) {
      const before = old.get(ns);
      for (const [key, slot] of byKey) {
        // A diff load is a whole parse (`load`): its slots are entries.
        const entry = slot as Entry;
        const prev = was(before?.get(key));
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
      for (const [key, slot] of byKey)
        if (!now?.has(key)) this.emit({ kind: "del", entry: was(slot) as Entry });
    }
  }

  private emit(change: Change): void {
    for (const o of this.observers) o.applied(change);
  }
}

/** A namespace's entries as a ReadonlyMap, parsing unread ones as they are reached. */
class NamespaceView implements ReadonlyMap<string, Entry> {
  constructor(
    private readonly byKey: Map<string, Slot>,
    private readonly read: (key: string, line: number) => Entry,
  ) {}

  get size(): number {
    return this.byKey.size;
  }

  get(key: string): Entry | undefined {
    const slot = this.byKey.get(key);
    return typeof slot === "number" ? this.read(key, slot) : slot;
  }

  has(key: string): boolean {
    return this.byKey.has(key);
  }

  *entries(): MapIterator<[string, Entry]> {
    for (const [key, slot] of this.byKey) yield [key, typeof slot === "number" ? this.read(key, slot) : slot];
  }

  keys(): MapIterator<string> {
    return this.byKey.keys();
  }

  *values(): MapIterator<Entry> {
    for (const [, entry] of this.entries()) yield entry;
  }

  [Symbol.iterator](): MapIterator<[string, Entry]> {
    return this.entries();
  }

  forEach(fn: (value: Entry, key: string, map: ReadonlyMap<string, Entry>) => void, thisArg?: unknown): void {
    for (const [key, entry] of this.entries()) fn.call(thisArg, entry, key, this);
  }
}
