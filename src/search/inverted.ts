/**
 * The postings and the document table, updated incrementally.
 *
 * Layout, chosen for memory and scan speed at 100k+ documents:
 * - Documents get integer numbers in arrival order and are never renumbered in place, so
 *   every posting list is append-only and sorted by document number. A list is one flat
 *   array `[doc, packedTf, doc, packedTf, ...]` of small integers (V8 stores them unboxed):
 *   8-16 bytes per posting instead of ~40 for a Map entry, and a tight loop to scan.
 * - Removing a document only marks it dead (O(1) per term: document frequencies are
 *   decremented right away, so scores never see it); its postings become tombstones that
 *   scans skip. When the dead outnumber the living, `compact()` renumbers the living
 *   densely and rewrites every list, so removal stays amortized O(terms in the document).
 * - Per-document columns (lengths, namespace, type, dates) live in typed arrays.
 */
import { type AnalyzedDoc, FIELD_COUNT, stemCached } from "./analyze.js";

/** The filterable facts about a document; `SearchDoc` minus its text. */
export interface DocMeta {
  namespace: string;
  key: string;
  tags: readonly string[];
  type: string;
  updatedAt: number;
  expiresAt?: number;
}

/** Told when a surface word enters or leaves the vocabulary (the fuzzy index follows it). */
export interface VocabularyListener {
  /** May return a number the listener wants back on removal (saves it a lookup table). */
  added(surface: string, term: string): number;
  removed(surface: string, slot: number): void;
}

interface SurfaceEntry {
  term: string;
  /** Number of live documents containing this surface word. */
  docs: number;
  slot: number;
}

export class PostingList {
  /** Live documents in the list: the document frequency. */
  df = 1;

  /** @param data interleaved [doc, packedTf] pairs, ascending doc, including dead docs. */
  constructor(public data: number[]) {}
}

const INITIAL_CAPACITY = 1024;
/** Below this many dead documents compaction is not worth a pass. */
const MIN_DEAD_TO_COMPACT = 1024;

export class InvertedIndex {
  readonly postings = new Map<string, PostingList>();
  readonly vocabulary = new Map<string, SurfaceEntry>();

  /** Field lengths per docNum, one array per field: [key, tags, value]. */
  lengths: [Float64Array, Float64Array, Float64Array];
  namespaceIds: Int32Array;
  typeIds: Int32Array;
  updatedAt: Float64Array;
  /** Infinity when the document never expires. */
  expiresAt: Float64Array;
  /** 1 while the document is live. */
  alive: Uint8Array;
  keys: (string | undefined)[] = [];
  tags: (readonly string[] | undefined)[] = [];
  readonly namespaceNames: string[] = [];
  readonly typeNames: string[] = [];

  private surfacesOf: (string[] | undefined)[] = [];
  private readonly namespaceIdOf = new Map<string, number>();
  private readonly typeIdOf = new Map<string, number>();
  private readonly byKey = new Map<string, Map<string, number>>();
  private readonly totalLengths = [0, 0, 0];
  private capacity = INITIAL_CAPACITY;
  private next = 0;
  private live = 0;

  constructor(private readonly listener?: VocabularyListener) {
    const c = this.capacity;
    this.lengths = [new Float64Array(c), new Float64Array(c), new Float64Array(c)];
    this.namespaceIds = new Int32Array(c);
    this.typeIds = new Int32Array(c);
    this.updatedAt = new Float64Array(c);
    this.expiresAt = new Float64Array(c);
    this.alive = new Uint8Array(c);
  }

  /** Number of live documents. */
  get docCount(): number {
    return this.live;
  }

  /** One past the largest docNum in use: the size per-document scratch arrays must have. */
  get docNumLimit(): number {
    return this.next;
  }

  avgLengths(): [number, number, number] {
    const n = this.live;
    const t = this.totalLengths;
    return n === 0 ? [0, 0, 0] : [(t[0] as number) / n, (t[1] as number) / n, (t[2] as number) / n];
  }

  docFreq(term: string): number {
    return this.postings.get(term)?.df ?? 0;
  }

  docNumOf(namespace: string, key: string): number | undefined {
    return this.byKey.get(namespace)?.get(key);
  }

  namespaceId(namespace: string): number | undefined {
    return this.namespaceIdOf.get(namespace);
  }

  typeId(type: string): number | undefined {
    return this.typeIdOf.get(type);
  }

  /** Adds a document, replacing any document with the same (namespace, key). */
  add(meta: DocMeta, analyzed: AnalyzedDoc): void {
    this.remove(meta.namespace, meta.key);
    if (this.next >= this.capacity) this.grow(this.capacity * 2);
    const doc = this.next++;

    const { terms, packed } = analyzed;
    for (let i = 0; i < terms.length; i++) {
      const term = terms[i] as string;
      const list = this.postings.get(term);
      if (list === undefined) {
        // Most terms occur in one document: an exact-size array, not push's default headroom.
        this.postings.set(term, new PostingList([doc, packed[i] as number]));
      } else {
        list.data.push(doc, packed[i] as number);
        list.df++;
      }
    }
    for (const surface of analyzed.surfaces) {
      const entry = this.vocabulary.get(surface);
      if (entry !== undefined) {
        entry.docs++;
        continue;
      }
      // A document's terms are exactly the stems of its surfaces, so this is one of them.
      const term = stemCached(surface);
      this.vocabulary.set(surface, { term, docs: 1, slot: this.listener?.added(surface, term) ?? -1 });
    }

    for (let f = 0; f < FIELD_COUNT; f++) {
      const len = analyzed.lengths[f] as number;
      (this.lengths[f] as Float64Array)[doc] = len;
      this.totalLengths[f] = (this.totalLengths[f] as number) + len;
    }
    this.namespaceIds[doc] = intern(meta.namespace, this.namespaceIdOf, this.namespaceNames);
    this.typeIds[doc] = intern(meta.type, this.typeIdOf, this.typeNames);
    this.updatedAt[doc] = meta.updatedAt;
    this.expiresAt[doc] = meta.expiresAt ?? Number.POSITIVE_INFINITY;
    this.alive[doc] = 1;
    this.keys[doc] = meta.key;
    this.tags[doc] = [...meta.tags];
    this.surfacesOf[doc] = analyzed.surfaces;

    let inNamespace = this.byKey.get(meta.namespace);
    if (inNamespace === undefined) {
      inNamespace = new Map();
      this.byKey.set(meta.namespace, inNamespace);
    }
    inNamespace.set(meta.key, doc);
    this.live++;
  }

  /** Removes the document if present; returns whether it was. */
  remove(namespace: string, key: string): boolean {
    const inNamespace = this.byKey.get(namespace);
    const doc = inNamespace?.get(key);
    if (inNamespace === undefined || doc === undefined) return false;
    inNamespace.delete(key);
    if (inNamespace.size === 0) this.byKey.delete(namespace);

    const terms = new Set<string>();
    for (const surface of this.surfacesOf[doc] ?? []) {
      const entry = this.vocabulary.get(surface);
      if (entry === undefined) continue;
      terms.add(entry.term);
      if (--entry.docs === 0) {
        this.vocabulary.delete(surface);
        this.listener?.removed(surface, entry.slot);
      }
    }
    for (const term of terms) {
      const list = this.postings.get(term);
      if (list !== undefined && --list.df === 0) this.postings.delete(term);
    }
    for (let f = 0; f < FIELD_COUNT; f++) {
      this.totalLengths[f] =
        (this.totalLengths[f] as number) - ((this.lengths[f] as Float64Array)[doc] as number);
    }
    this.alive[doc] = 0;
    this.keys[doc] = undefined;
    this.tags[doc] = undefined;
    this.surfacesOf[doc] = undefined;
    this.live--;
    const dead = this.next - this.live;
    if (dead >= MIN_DEAD_TO_COMPACT && dead > this.live) this.compact();
    return true;
  }

  /** Calls `fn` for every live docNum, ascending. */
  forEachDoc(fn: (doc: number) => void): void {
    const alive = this.alive;
    for (let doc = 0; doc < this.next; doc++) if (alive[doc] === 1) fn(doc);
  }

  /** Renumbers live documents densely (keeping their order) and drops all tombstones. */
  compact(): void {
    const renumber = new Int32Array(this.next).fill(-1);
    let n = 0;
    for (let doc = 0; doc < this.next; doc++) if (this.alive[doc] === 1) renumber[doc] = n++;

    for (const list of this.postings.values()) {
      const old = list.data;
      const data: number[] = [];
      for (let j = 0; j < old.length; j += 2) {
        const to = renumber[old[j] as number] as number;
        if (to >= 0) data.push(to, old[j + 1] as number);
      }
      list.data = data;
    }
    const keys: (string | undefined)[] = [];
    const tags: (readonly string[] | undefined)[] = [];
    const surfaces: (string[] | undefined)[] = [];
    for (let doc = 0; doc < this.next; doc++) {
      const to = renumber[doc] as number;
      if (to < 0) continue;
      keys[to] = this.keys[doc];
      tags[to] = this.tags[doc];
      surfaces[to] = this.surfacesOf[doc];
      for (let f = 0; f < FIELD_COUNT; f++) {
        const col = this.lengths[f] as Float64Array;
        col[to] = col[doc] as number;
      }
      this.namespaceIds[to] = this.namespaceIds[doc] as number;
      this.typeIds[to] = this.typeIds[doc] as number;
      this.updatedAt[to] = this.updatedAt[doc] as number;
      this.expiresAt[to] = this.expiresAt[doc] as number;
      this.alive[to] = 1;
    }
    this.alive.fill(0, n);
    this.keys = keys;
    this.tags = tags;
    this.surfacesOf = surfaces;
    for (const inNamespace of this.byKey.values()) {
      for (const [key, doc] of inNamespace) inNamespace.set(key, renumber[doc] as number);
    }
    this.next = n;
  }

  private grow(capacity: number): void {
    const growF = (a: Float64Array) => {
      const b = new Float64Array(capacity);
      b.set(a);
      return b;
    };
    const growI = (a: Int32Array) => {
      const b = new Int32Array(capacity);
      b.set(a);
      return b;
    };
    this.lengths = [growF(this.lengths[0]), growF(this.lengths[1]), growF(this.lengths[2])];
    this.namespaceIds = growI(this.namespaceIds);
    this.typeIds = growI(this.typeIds);
    this.updatedAt = growF(this.updatedAt);
    this.expiresAt = growF(this.expiresAt);
    const alive = new Uint8Array(capacity);
    alive.set(this.alive);
    this.alive = alive;
    this.capacity = capacity;
  }
}

function intern(name: string, ids: Map<string, number>, names: string[]): number {
  let id = ids.get(name);
  if (id === undefined) {
    id = names.length;
    names.push(name);
    ids.set(name, id);
  }
  return id;
}
