/**
 * The postings and the document table, updated incrementally or built in bulk.
 *
 * Layout, chosen for memory and build/scan speed at 100k-1M documents:
 * - Every distinct surface word and index term is interned to a dense integer id (see
 *   `Analyzer`); everything per word or per term is a typed-array column indexed by id.
 * - All posting lists live in one arena, `postings`, a typed array of (document number,
 *   packed per-field term frequency) pairs: term t's list is postings
 *   `[termStart[t], termStart[t] + termLength[t])` (pair j at `2j`, `2j + 1`), ascending by
 *   document number. 8 bytes a posting, no object per term or per posting, a tight loop to
 *   scan.
 * - Documents get integer numbers in arrival order and are never renumbered in place, so a
 *   list only grows at its end. A full list moves to the end of the arena with 1.5x room
 *   (or grows in place when it is the last one); the space it leaves is reclaimed when the
 *   holes outweigh the lists.
 * - Removing a document only marks it dead (O(1) per term: document frequencies drop at
 *   once, so scores never see it); its postings become tombstones that scans skip. When the
 *   dead outnumber the living, `compact()` renumbers the living densely and rewrites every
 *   list, so removal stays amortized O(terms in the document).
 * - Each document keeps its distinct surface-word ids (one Int32 each, in a second arena),
 *   which is what removal needs: its terms are their stems.
 * - A bulk build (`beginBulk` … `finishBulk`) counts document frequencies first and lays
 *   every list out exactly once, contiguous and exactly sized (see `BulkChunk`).
 */
import {
  Analyzer,
  type AnalyzerState,
  FIELD_COUNT,
  type FieldTexts,
  grownInt32,
  I_DF,
  I_DOCS,
  I_TERM,
  I_TERM_STAMP,
  INFO,
  STOP,
  UNSET,
} from "./analyzer.js";

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

/**
 * Postings of consecutive documents `[firstDoc, firstDoc + docCount)` gathered during a bulk
 * build, document by document: document `firstDoc + i` has the (term id, packed tf) pairs
 * `[pairStart[i], pairStart[i + 1])` of `terms` / `tfs`.
 */
export interface BulkChunk {
  firstDoc: number;
  docCount: number;
  pairStart: Int32Array;
  terms: Int32Array;
  tfs: Int32Array;
}

/** Collects a `BulkChunk` from analyzed documents on the main thread. */
export class ChunkWriter {
  readonly pairStart: Int32Array;
  terms: Int32Array;
  tfs: Int32Array;
  pairs = 0;
  docCount = 0;

  /** `expectedPairs`: a guess (e.g. the previous chunk's) that saves growing the buffers. */
  constructor(
    readonly firstDoc: number,
    capacity: number,
    expectedPairs = 4096,
  ) {
    this.pairStart = new Int32Array(capacity + 1);
    this.terms = new Int32Array(Math.max(64, expectedPairs));
    this.tfs = new Int32Array(Math.max(64, expectedPairs));
  }

  /** Appends the pairs of the next document. */
  push(terms: Int32Array, tfs: Int32Array, count: number): void {
    const at = this.pairs;
    if (at + count > this.terms.length) {
      this.terms = grownInt32(this.terms, at + count);
      this.tfs = grownInt32(this.tfs, at + count);
    }
    const out = this.terms;
    const outTfs = this.tfs;
    for (let i = 0; i < count; i++) {
      out[at + i] = terms[i] as number;
      outTfs[at + i] = tfs[i] as number;
    }
    this.pairs = at + count;
    this.pairStart[++this.docCount] = this.pairs;
  }

  /** Appends a document with no pairs (dropped before it was analyzed). */
  skip(): void {
    this.pairStart[++this.docCount] = this.pairs;
  }

  done(): BulkChunk {
    // Chunks wait for the end of the build: keep no spare capacity meanwhile.
    return {
      firstDoc: this.firstDoc,
      docCount: this.docCount,
      pairStart: this.pairStart.slice(0, this.docCount + 1),
      terms: this.terms.slice(0, this.pairs),
      tfs: this.tfs.slice(0, this.pairs),
    };
  }
}

const INITIAL_CAPACITY = 1024;
/** Below this many dead documents compaction is not worth a pass. */
const MIN_DEAD_TO_COMPACT = 1024;
/** Arena holes below this many postings are not worth a compaction. */
const MIN_ARENA_GARBAGE = 1 << 16;
/** docSurfaceCount of a document admitted by a bulk build but not analyzed yet. */
const PENDING = -1;

const EMPTY_TAGS: readonly string[] = Object.freeze([]);

function grownFloat64(a: Float64Array, size: number): Float64Array<ArrayBuffer> {
  if (a.length >= size) return a as Float64Array<ArrayBuffer>;
  const b = new Float64Array(Math.max(size, a.length * 2));
  b.set(a);
  return b;
}

export class InvertedIndex {
  /** Surface and term dictionaries; its ids index every per-word column below. */
  readonly analyzer: Analyzer;

  /*
   * Per word id: the listener's slot. (Live documents per word as a token and as a term are
   * counted in the analyzer's `info` records, beside what analysis just touched.)
   */
  private surfaceSlot = new Float64Array(1024);
  /** Words that are the term of some live document. */
  private terms = 0;
  /** Words that may have become unused during a removal (scratch). */
  private readonly released: number[] = [];

  /** Per term (word) id: the list's place in the arena. */
  termStart = new Int32Array(1024);
  termLength = new Int32Array(1024);
  private termCap = new Int32Array(1024);

  /** The postings arena (see the module comment); `arenaEnd` and the rest count pairs. */
  postings = new Int32Array(0);
  private arenaEnd = 0;
  private arenaGarbage = 0;

  /** Field lengths per docNum, one array per field: [key, tags, value]. */
  lengths: [Float64Array<ArrayBuffer>, Float64Array<ArrayBuffer>, Float64Array<ArrayBuffer>];
  namespaceIds: Int32Array<ArrayBuffer>;
  typeIds: Int32Array<ArrayBuffer>;
  updatedAt: Float64Array<ArrayBuffer>;
  /** Infinity when the document never expires. */
  expiresAt: Float64Array<ArrayBuffer>;
  /** 1 while the document is live. */
  alive: Uint8Array<ArrayBuffer>;
  keys: (string | undefined)[] = [];
  tags: (readonly string[] | undefined)[] = [];
  readonly namespaceNames: string[] = [];
  readonly typeNames: string[] = [];

  /** Per docNum: its surface ids are `docSurfaces[start, start + count)`. */
  private docSurfaceStart: Int32Array<ArrayBuffer>;
  private docSurfaceCount: Int32Array<ArrayBuffer>;
  private docSurfaces = new Int32Array(0);
  private docSurfacesEnd = 0;
  private docSurfacesGarbage = 0;

  private readonly namespaceIdOf = new Map<string, number>();
  private readonly typeIdOf = new Map<string, number>();
  /**
   * (namespace, key) → docNum. Built lazily after a restore (`restoreState`): searching needs
   * only `keys`, and a million-key map is most of the cost of loading a persisted index.
   */
  private byKeyMap: Map<string, Map<string, number>> | undefined = new Map();
  private readonly totalLengths = [0, 0, 0];
  private capacity = INITIAL_CAPACITY;
  private next = 0;
  private live = 0;
  /** True between `beginBulk` and `finishBulk`: ids are not released meanwhile. */
  private bulk = false;

  constructor(
    stopWords: Iterable<string>,
    private readonly listener?: VocabularyListener,
  ) {
    this.analyzer = new Analyzer(stopWords);
    const c = this.capacity;
    this.lengths = [new Float64Array(c), new Float64Array(c), new Float64Array(c)];
    this.namespaceIds = new Int32Array(c);
    this.typeIds = new Int32Array(c);
    this.updatedAt = new Float64Array(c);
    this.expiresAt = new Float64Array(c);
    this.alive = new Uint8Array(c);
    this.docSurfaceStart = new Int32Array(c);
    this.docSurfaceCount = new Int32Array(c);
  }

  /** Number of live documents. */
  get docCount(): number {
    return this.live;
  }

  /** Number of distinct index terms in live documents. */
  get termCount(): number {
    return this.terms;
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

  /** The id of an index term present in some live document, or undefined. */
  termId(term: string): number | undefined {
    const id = this.analyzer.words.get(term);
    return id !== undefined && (this.analyzer.info[INFO * id + I_DF] as number) > 0 ? id : undefined;
  }

  docFreq(term: string): number {
    const id = this.analyzer.words.get(term);
    return id === undefined ? 0 : (this.analyzer.info[INFO * id + I_DF] as number);
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
  add(meta: DocMeta, texts: FieldTexts): void {
    if (this.bulk) throw new Error("InvertedIndex.add during a bulk build");
    const doc = this.admit(meta);
    const a = this.analyzer;
    a.analyze(texts);
    this.fitWordColumns();
    this.commitSurfaces(doc, a.docSurfaces, 0, a.surfaceCount, a.lengths, 0);
    const { docTerms, docTfs } = a;
    this.countTerms(docTerms, 0, a.termCount);
    for (let i = 0; i < a.termCount; i++) this.append(docTerms[i] as number, doc, docTfs[i] as number);
  }

  /** Removes the document if present; returns whether it was. */
  remove(namespace: string, key: string): boolean {
    const inNamespace = this.byKey.get(namespace);
    const doc = inNamespace?.get(key);
    if (inNamespace === undefined || doc === undefined) return false;
    inNamespace.delete(key);
    if (inNamespace.size === 0) this.byKey.delete(namespace);
    this.removeDoc(doc);
    if (!this.bulk) this.maybeCompact();
    return true;
  }

  /** Marks `doc` dead and un-counts its words (its key is already gone from `byKey`). */
  private removeDoc(doc: number): void {
    const count = this.docSurfaceCount[doc] as number;
    if (count !== PENDING) {
      const a = this.analyzer;
      const mark = a.newStamp();
      const { info } = a;
      const released = this.released;
      const start = this.docSurfaceStart[doc] as number;
      for (let i = start; i < start + count; i++) {
        const s = this.docSurfaces[i] as number;
        const t = info[INFO * s + I_TERM] as number;
        const docs = (info[INFO * s + I_DOCS] as number) - 1;
        info[INFO * s + I_DOCS] = docs;
        if (docs === 0) {
          this.listener?.removed(a.words.names[s] as string, this.surfaceSlot[s] as number);
          // Stemming is not idempotent: an unused word's term may be released, so forget it.
          info[INFO * s + I_TERM] = UNSET;
          released.push(s);
        }
        // Several surface words of a document may share a term: count it once.
        if (info[INFO * t + I_TERM_STAMP] !== mark) {
          info[INFO * t + I_TERM_STAMP] = mark;
          const df = (info[INFO * t + I_DF] as number) - 1;
          info[INFO * t + I_DF] = df;
          if (df === 0) {
            this.terms--;
            released.push(t);
          }
        }
      }
      if (!this.bulk) {
        for (const w of released) if (this.unused(w)) this.releaseWord(w);
      }
      released.length = 0;
      this.docSurfacesGarbage += count;
      for (let f = 0; f < FIELD_COUNT; f++) {
        this.totalLengths[f] =
          (this.totalLengths[f] as number) - ((this.lengths[f] as Float64Array)[doc] as number);
      }
    }
    this.docSurfaceCount[doc] = 0;
    this.alive[doc] = 0;
    this.keys[doc] = undefined;
    this.tags[doc] = undefined;
    this.live--;
  }

  /** Calls `fn` for every live docNum, ascending. */
  forEachDoc(fn: (doc: number) => void): void {
    const alive = this.alive;
    for (let doc = 0; doc < this.next; doc++) if (alive[doc] === 1) fn(doc);
  }

  // ---------------------------------------------------------------------------------------------
  // Bulk build: admit documents (numbers, filterable columns), analyze them here or take the
  // analysis of a worker (`commitForeign`), then lay every posting list out once.

  /** Starts a bulk build; the index must be empty. */
  beginBulk(): void {
    if (this.next !== 0) throw new Error("a bulk build needs an empty index");
    this.bulk = true;
  }

  /**
   * Gives the document its number and filterable columns; its text comes later (analyzed
   * here with `analyzeAdmitted` or on a worker). A document with the same key admitted
   * earlier is removed, as `add` would.
   */
  admitBulk(meta: DocMeta): number {
    const doc = this.admit(meta);
    this.docSurfaceCount[doc] = PENDING;
    return doc;
  }

  /** Analyzes an admitted document on this thread into `out`. */
  analyzeAdmitted(doc: number, texts: FieldTexts, out: ChunkWriter): void {
    if (this.alive[doc] === 0) {
      out.skip();
      return;
    }
    const a = this.analyzer;
    a.analyze(texts);
    this.fitWordColumns();
    this.commitSurfaces(doc, a.docSurfaces, 0, a.surfaceCount, a.lengths, 0);
    this.countTerms(a.docTerms, 0, a.termCount);
    out.push(a.docTerms, a.docTfs, a.termCount);
  }

  /**
   * Takes the analysis of an admitted document done elsewhere, already translated to this
   * index's ids: surfaces `surfaces[from, to)`, terms `terms[termFrom, termTo)`, field
   * lengths `lengths[lengthsAt, lengthsAt + 3)`.
   */
  commitForeign(
    doc: number,
    surfaces: Int32Array,
    from: number,
    to: number,
    terms: Int32Array,
    termFrom: number,
    termTo: number,
    lengths: ArrayLike<number>,
    lengthsAt: number,
  ): void {
    if (this.alive[doc] === 0) return;
    this.fitWordColumns();
    this.commitSurfaces(doc, surfaces, from, to - from, lengths, lengthsAt);
    this.countTerms(terms, termFrom, termTo);
  }

  /** Ensures per-word columns cover every id the analyzer handed out. */
  fitWordColumns(): void {
    const t = this.analyzer.words.limit;
    if (t > this.surfaceSlot.length) this.surfaceSlot = grownFloat64(this.surfaceSlot, t);
    if (t > this.termStart.length) {
      this.termStart = grownInt32(this.termStart, t);
      this.termLength = grownInt32(this.termLength, t);
      this.termCap = grownInt32(this.termCap, t);
    }
  }

  /**
   * Sizes every posting list by its document frequency, contiguously in term-id order, and
   * returns a function that writes one chunk's postings (call it for every chunk, in
   * document order), then `finishBulk`.
   */
  layOutBulk(): (chunk: BulkChunk) => void {
    this.fitWordColumns();
    const limit = this.analyzer.words.limit;
    const { termStart, termLength, termCap } = this;
    const { info } = this.analyzer;
    let total = 0;
    for (let t = 0; t < limit; t++) {
      const df = info[INFO * t + I_DF] as number;
      termStart[t] = total;
      termLength[t] = 0;
      termCap[t] = df;
      total += df;
    }
    this.postings = new Int32Array(2 * total);
    this.arenaEnd = total;
    this.arenaGarbage = 0;
    return (chunk) => {
      const { postings, alive } = this;
      const { pairStart, terms, tfs } = chunk;
      for (let i = 0; i < chunk.docCount; i++) {
        const doc = chunk.firstDoc + i;
        // Documents removed during the build were never counted: their pairs are dropped.
        if (alive[doc] === 0) continue;
        const end = pairStart[i + 1] as number;
        for (let j = pairStart[i] as number; j < end; j++) {
          const t = terms[j] as number;
          const len = termLength[t] as number;
          const at = 2 * ((termStart[t] as number) + len);
          termLength[t] = len + 1;
          postings[at] = doc;
          postings[at + 1] = tfs[j] as number;
        }
      }
    };
  }

  /** Ends a bulk build: releases words no live document holds, compacts if worthwhile. */
  finishBulk(): void {
    this.trim();
    this.bulk = false;
    const a = this.analyzer;
    for (let w = 0; w < a.words.limit; w++) {
      if (a.words.names[w] === undefined) continue;
      if (this.unused(w)) this.releaseWord(w);
      // A word no live document has as a token (e.g. seen by a worker in a replaced document)
      // must not keep a term link: that term may just have been released.
      else if (a.info[INFO * w + I_DOCS] === 0 && a.info[INFO * w + I_TERM] !== STOP)
        a.info[INFO * w + I_TERM] = UNSET;
    }
    this.maybeCompact();
  }

  /** Drops the spare capacity growable arrays accumulated (done once after a bulk build). */
  private trim(): void {
    this.analyzer.trim();
    const words = this.analyzer.words.limit;
    this.surfaceSlot = this.surfaceSlot.slice(0, words);
    this.termStart = this.termStart.slice(0, words);
    this.termLength = this.termLength.slice(0, words);
    this.termCap = this.termCap.slice(0, words);
    const room = this.docSurfacesEnd + (this.docSurfacesEnd >> 4);
    if (this.docSurfaces.length > room) this.docSurfaces = this.docSurfaces.slice(0, room);
  }

  /** Abandons a bulk build: the index is left empty. */
  abandonBulk(): void {
    this.bulk = false;
  }

  // ---------------------------------------------------------------------------------------------

  /** Renumbers live documents densely (keeping their order) and drops all tombstones. */
  compact(): void {
    const renumber = new Int32Array(this.next).fill(-1);
    let n = 0;
    for (let doc = 0; doc < this.next; doc++) if (this.alive[doc] === 1) renumber[doc] = n++;

    const { postings, termStart, termLength } = this;
    const terms = this.analyzer.words;
    for (let t = 0; t < terms.limit; t++) {
      if (terms.names[t] === undefined) continue;
      const start = termStart[t] as number;
      const end = start + (termLength[t] as number);
      let w = start;
      for (let j = start; j < end; j++) {
        const to = renumber[postings[2 * j] as number] as number;
        if (to < 0) continue;
        postings[2 * w] = to;
        postings[2 * w++ + 1] = postings[2 * j + 1] as number;
      }
      termLength[t] = w - start;
    }
    const keys: (string | undefined)[] = [];
    const tags: (readonly string[] | undefined)[] = [];
    for (let doc = 0; doc < this.next; doc++) {
      const to = renumber[doc] as number;
      if (to < 0) continue;
      keys[to] = this.keys[doc];
      tags[to] = this.tags[doc];
      for (let f = 0; f < FIELD_COUNT; f++) {
        const col = this.lengths[f] as Float64Array;
        col[to] = col[doc] as number;
      }
      this.namespaceIds[to] = this.namespaceIds[doc] as number;
      this.typeIds[to] = this.typeIds[doc] as number;
      this.updatedAt[to] = this.updatedAt[doc] as number;
      this.expiresAt[to] = this.expiresAt[doc] as number;
      this.docSurfaceStart[to] = this.docSurfaceStart[doc] as number;
      this.docSurfaceCount[to] = this.docSurfaceCount[doc] as number;
      this.alive[to] = 1;
    }
    this.alive.fill(0, n);
    this.keys = keys;
    this.tags = tags;
    // A key map not built yet (after a restore) is built from the renumbered columns when needed.
    if (this.byKeyMap !== undefined) {
      for (const inNamespace of this.byKeyMap.values()) {
        for (const [key, doc] of inNamespace) inNamespace.set(key, renumber[doc] as number);
      }
    }
    this.next = n;
    if (this.docSurfacesGarbage > this.docSurfacesEnd / 2) this.compactDocSurfaces();
  }

  private maybeCompact(): void {
    const dead = this.next - this.live;
    if (dead >= MIN_DEAD_TO_COMPACT && dead > this.live) this.compact();
  }

  /** Numbers the document and writes its columns, replacing a document with the same key. */
  private admit(meta: DocMeta): number {
    let inNamespace = this.byKey.get(meta.namespace);
    if (inNamespace === undefined) {
      inNamespace = new Map();
      this.byKey.set(meta.namespace, inNamespace);
    }
    const previous = inNamespace.get(meta.key);
    if (previous !== undefined) {
      inNamespace.delete(meta.key);
      this.removeDoc(previous);
      if (!this.bulk) this.maybeCompact();
    }
    if (this.next >= this.capacity) this.grow(Math.max(INITIAL_CAPACITY, this.capacity * 2));
    const doc = this.next++;
    this.namespaceIds[doc] = intern(meta.namespace, this.namespaceIdOf, this.namespaceNames);
    this.typeIds[doc] = intern(meta.type, this.typeIdOf, this.typeNames);
    this.updatedAt[doc] = meta.updatedAt;
    this.expiresAt[doc] = meta.expiresAt ?? Number.POSITIVE_INFINITY;
    this.alive[doc] = 1;
    this.keys[doc] = meta.key;
    this.tags[doc] = meta.tags.length === 0 ? EMPTY_TAGS : [...meta.tags];
    for (let f = 0; f < FIELD_COUNT; f++) (this.lengths[f] as Float64Array)[doc] = 0;
    this.docSurfaceCount[doc] = 0;
    inNamespace.set(meta.key, doc);
    this.live++;
    return doc;
  }

  /** Records the document's surfaces (counting each word's documents) and field lengths. */
  private commitSurfaces(
    doc: number,
    surfaces: Int32Array,
    from: number,
    count: number,
    lengths: ArrayLike<number>,
    lengthsAt: number,
  ): void {
    if (this.docSurfacesEnd + count > this.docSurfaces.length) {
      if (this.docSurfacesGarbage > this.docSurfacesEnd / 2) this.compactDocSurfaces();
      this.docSurfaces = grownInt32(this.docSurfaces, this.docSurfacesEnd + count);
    }
    const start = this.docSurfacesEnd;
    this.docSurfacesEnd += count;
    this.docSurfaceStart[doc] = start;
    this.docSurfaceCount[doc] = count;
    const a = this.analyzer;
    const { docSurfaces } = this;
    for (let i = 0; i < count; i++) {
      const s = surfaces[from + i] as number;
      docSurfaces[start + i] = s;
      const docs = a.info[INFO * s + I_DOCS] as number;
      a.info[INFO * s + I_DOCS] = docs + 1;
      if (docs !== 0) continue;
      // A counted word always knows its term (removal reads it). termOf may stem the word,
      // and interning the stem may grow a.info: hence no cached reference to it here.
      const term = a.termOf(s);
      if (this.listener !== undefined)
        this.surfaceSlot[s] = this.listener.added(a.words.names[s] as string, a.words.names[term] as string);
    }
    for (let f = 0; f < FIELD_COUNT; f++) {
      const len = lengths[lengthsAt + f] as number;
      (this.lengths[f] as Float64Array)[doc] = len;
      this.totalLengths[f] = (this.totalLengths[f] as number) + len;
    }
  }

  /** Appends a posting to term t's list (documents arrive in ascending number). */
  private append(t: number, doc: number, tf: number): void {
    const len = this.termLength[t] as number;
    if (len === this.termCap[t]) this.growList(t, len);
    const at = 2 * ((this.termStart[t] as number) + len);
    this.postings[at] = doc;
    this.postings[at + 1] = tf;
    this.termLength[t] = len + 1;
  }

  private growList(t: number, len: number): void {
    const cap = this.termCap[t] as number;
    // Most terms occur in one document: a new list gets exactly one slot.
    const grown = cap === 0 ? 1 : cap < 4 ? cap * 2 : cap + (cap >> 1);
    if (cap > 0 && (this.termStart[t] as number) + cap === this.arenaEnd) {
      // The last list grows in place (unless making room compacted the arena and moved it).
      this.reserveArena(grown - cap);
      const now = this.termCap[t] as number;
      if ((this.termStart[t] as number) + now === this.arenaEnd) {
        this.arenaEnd += grown - now;
        this.termCap[t] = grown;
        return;
      }
    }
    this.reserveArena(grown);
    const from = this.termStart[t] as number; // compaction may have moved it
    const to = this.arenaEnd;
    if (len > 0) this.postings.copyWithin(2 * to, 2 * from, 2 * (from + len));
    this.arenaGarbage += this.termCap[t] as number;
    this.termStart[t] = to;
    this.termCap[t] = grown;
    this.arenaEnd += grown;
  }

  /** Makes room for `more` postings at the arena end. */
  private reserveArena(more: number): void {
    const capacity = this.postings.length / 2;
    if (this.arenaEnd + more <= capacity) return;
    const live = this.arenaEnd - this.arenaGarbage;
    if (this.arenaGarbage >= MIN_ARENA_GARBAGE && this.arenaGarbage > live) {
      this.compactArena(live + more);
      return;
    }
    const size = Math.max(this.arenaEnd + more, Math.ceil(capacity * 1.5), 1024);
    const postings = new Int32Array(2 * size);
    postings.set(this.postings.subarray(0, 2 * this.arenaEnd));
    this.postings = postings;
  }

  /** Rewrites every live list contiguously (exactly sized) into new arrays of `need` + room. */
  private compactArena(need: number): void {
    const size = Math.max(1024, Math.ceil(need * 1.5));
    const out = new Int32Array(2 * size);
    const { termStart, termLength, termCap, postings } = this;
    const terms = this.analyzer.words;
    let end = 0;
    for (let t = 0; t < terms.limit; t++) {
      if (terms.names[t] === undefined) continue;
      const start = termStart[t] as number;
      const len = termLength[t] as number;
      for (let j = 0; j < 2 * len; j++) out[2 * end + j] = postings[2 * start + j] as number;
      termStart[t] = end;
      termCap[t] = len;
      end += len;
    }
    this.postings = out;
    this.arenaEnd = end;
    this.arenaGarbage = 0;
  }

  private compactDocSurfaces(): void {
    const size = Math.max(1024, Math.ceil((this.docSurfacesEnd - this.docSurfacesGarbage) * 1.5));
    const out = new Int32Array(size);
    let end = 0;
    for (let doc = 0; doc < this.next; doc++) {
      const count = this.docSurfaceCount[doc] as number;
      if (count <= 0) continue;
      const start = this.docSurfaceStart[doc] as number;
      out.set(this.docSurfaces.subarray(start, start + count), end);
      this.docSurfaceStart[doc] = end;
      end += count;
    }
    this.docSurfaces = out;
    this.docSurfacesEnd = end;
    this.docSurfacesGarbage = 0;
  }

  /** Counts documents for terms `terms[from, to)` of one new document. */
  private countTerms(terms: Int32Array, from: number, to: number): void {
    const { info } = this.analyzer;
    for (let i = from; i < to; i++) {
      const at = INFO * (terms[i] as number) + I_DF;
      const df = info[at] as number;
      if (df === 0) this.terms++;
      info[at] = df + 1;
    }
  }

  /** Whether word `w` is neither a token nor a term of any live document (nor a stop word). */
  private unused(w: number): boolean {
    const info = this.analyzer.info;
    return info[INFO * w + I_DOCS] === 0 && info[INFO * w + I_DF] === 0 && info[INFO * w + I_TERM] !== STOP;
  }

  private releaseWord(w: number): void {
    if (this.analyzer.words.names[w] === undefined) return;
    this.arenaGarbage += this.termCap[w] as number;
    this.termStart[w] = 0;
    this.termLength[w] = 0;
    this.termCap[w] = 0;
    this.analyzer.releaseWord(w);
  }

  private get byKey(): Map<string, Map<string, number>> {
    if (this.byKeyMap === undefined) {
      const map = new Map<string, Map<string, number>>();
      for (let doc = 0; doc < this.next; doc++) {
        if (this.alive[doc] !== 1) continue;
        const ns = this.namespaceNames[this.namespaceIds[doc] as number] as string;
        let inNamespace = map.get(ns);
        if (inNamespace === undefined) {
          inNamespace = new Map();
          map.set(ns, inNamespace);
        }
        inNamespace.set(this.keys[doc] as string, doc);
      }
      this.byKeyMap = map;
    }
    return this.byKeyMap;
  }

  // ---------------------------------------------------------------------------------------------
  // Persisted state (search/segment.ts): the columns trimmed to what is in use, tags as a table
  // of distinct lists. Not part of it: the listener's slots (the listener is told every live
  // word again on restore) and the key map (rebuilt when first needed).

  exportState(): InvertedState {
    const limit = this.analyzer.words.limit;
    const n = this.next;
    const tagIds = new Int32Array(n);
    const tagLists: string[][] = [];
    const tagIdOf = new Map<string, number>();
    for (let doc = 0; doc < n; doc++) {
      const tags = this.tags[doc];
      if (tags === undefined) {
        tagIds[doc] = -1;
        continue;
      }
      const text = tags.join("\u0000");
      let id = tagIdOf.get(text);
      if (id === undefined) {
        id = tagLists.length;
        tagLists.push([...tags]);
        tagIdOf.set(text, id);
      }
      tagIds[doc] = id;
    }
    return {
      analyzer: this.analyzer.exportState(),
      terms: this.terms,
      termStart: this.termStart.subarray(0, limit),
      termLength: this.termLength.subarray(0, limit),
      termCap: this.termCap.subarray(0, limit),
      postings: this.postings.subarray(0, 2 * this.arenaEnd),
      arenaGarbage: this.arenaGarbage,
      lengthKey: this.lengths[0].subarray(0, n),
      lengthTags: this.lengths[1].subarray(0, n),
      lengthValue: this.lengths[2].subarray(0, n),
      namespaceIds: this.namespaceIds.subarray(0, n),
      typeIds: this.typeIds.subarray(0, n),
      updatedAt: this.updatedAt.subarray(0, n),
      expiresAt: this.expiresAt.subarray(0, n),
      alive: this.alive.subarray(0, n),
      keys: this.keys.slice(0, n).map((k) => k ?? null),
      tagIds,
      tagLists,
      namespaceNames: [...this.namespaceNames],
      typeNames: [...this.typeNames],
      docSurfaceStart: this.docSurfaceStart.subarray(0, n),
      docSurfaceCount: this.docSurfaceCount.subarray(0, n),
      docSurfaces: this.docSurfaces.subarray(0, this.docSurfacesEnd),
      docSurfacesGarbage: this.docSurfacesGarbage,
      totalLengths: [...this.totalLengths],
      next: n,
      live: this.live,
    };
  }

  /**
   * Becomes the index `state` describes; this index must be new. Sizes are checked so that a
   * state that does not fit together is refused here rather than read out of bounds later.
   */
  restoreState(state: InvertedState): void {
    if (this.next !== 0 || this.bulk) throw new Error("restoreState needs a new index");
    const n = state.next;
    const limit = state.analyzer.words.names.length;
    const perDoc = [
      state.lengthKey,
      state.lengthTags,
      state.lengthValue,
      state.namespaceIds,
      state.typeIds,
      state.updatedAt,
      state.expiresAt,
      state.alive,
      state.tagIds,
      state.docSurfaceStart,
      state.docSurfaceCount,
    ];
    const fits =
      Number.isInteger(n) &&
      n >= 0 &&
      Number.isInteger(state.live) &&
      state.live >= 0 &&
      state.live <= n &&
      perDoc.every((a) => a.length === n) &&
      state.keys.length === n &&
      state.termStart.length === limit &&
      state.termLength.length === limit &&
      state.termCap.length === limit &&
      state.postings.length % 2 === 0 &&
      state.totalLengths.length === FIELD_COUNT;
    if (!fits) throw new RangeError("index state does not fit together");
    const arenaEnd = state.postings.length / 2;
    for (let t = 0; t < limit; t++) {
      const start = state.termStart[t] as number;
      const len = state.termLength[t] as number;
      if (
        start < 0 ||
        len < 0 ||
        len > (state.termCap[t] as number) ||
        start + (state.termCap[t] as number) > arenaEnd
      ) {
        throw new RangeError(`index state: posting list ${t} lies outside the arena`);
      }
    }
    for (let doc = 0; doc < n; doc++) {
      const start = state.docSurfaceStart[doc] as number;
      const count = state.docSurfaceCount[doc] as number;
      const tagId = state.tagIds[doc] as number;
      if (
        (count > 0 && (start < 0 || start + count > state.docSurfaces.length)) ||
        tagId >= state.tagLists.length ||
        (state.alive[doc] === 1 &&
          (typeof state.keys[doc] !== "string" ||
            tagId < 0 ||
            (state.namespaceIds[doc] as number) >= state.namespaceNames.length ||
            (state.typeIds[doc] as number) >= state.typeNames.length))
      ) {
        throw new RangeError(`index state: document ${doc} does not fit together`);
      }
    }
    this.analyzer.restoreState(state.analyzer);
    this.terms = state.terms;
    this.termStart = state.termStart;
    this.termLength = state.termLength;
    this.termCap = state.termCap;
    this.postings = state.postings;
    this.arenaEnd = arenaEnd;
    this.arenaGarbage = state.arenaGarbage;
    this.capacity = n;
    this.lengths = [state.lengthKey, state.lengthTags, state.lengthValue];
    this.namespaceIds = state.namespaceIds;
    this.typeIds = state.typeIds;
    this.updatedAt = state.updatedAt;
    this.expiresAt = state.expiresAt;
    this.alive = state.alive;
    this.docSurfaceStart = state.docSurfaceStart;
    this.docSurfaceCount = state.docSurfaceCount;
    this.docSurfaces = state.docSurfaces;
    this.docSurfacesEnd = state.docSurfaces.length;
    this.docSurfacesGarbage = state.docSurfacesGarbage;
    const lists = state.tagLists.map((tags) => (tags.length === 0 ? EMPTY_TAGS : Object.freeze([...tags])));
    const keys = state.keys as (string | null | undefined)[];
    for (let doc = 0; doc < keys.length; doc++) if (keys[doc] === null) keys[doc] = undefined;
    this.keys = keys as (string | undefined)[];
    this.tags = Array.from(state.tagIds, (id) => (id < 0 ? undefined : lists[id]));
    this.namespaceNames.length = 0;
    this.namespaceIdOf.clear();
    for (const name of state.namespaceNames) intern(name, this.namespaceIdOf, this.namespaceNames);
    this.typeNames.length = 0;
    this.typeIdOf.clear();
    for (const name of state.typeNames) intern(name, this.typeIdOf, this.typeNames);
    for (let f = 0; f < FIELD_COUNT; f++) this.totalLengths[f] = state.totalLengths[f] as number;
    this.next = n;
    this.live = state.live;
    this.byKeyMap = undefined;
    // The listener (the fuzzy vocabulary) hears every word a live document holds, as a build tells it.
    const a = this.analyzer;
    this.surfaceSlot = new Float64Array(Math.max(1024, limit));
    if (this.listener !== undefined) {
      for (let w = 0; w < limit; w++) {
        const name = a.words.names[w];
        if (name === undefined || (a.info[INFO * w + I_DOCS] as number) === 0) continue;
        const term = a.words.names[a.info[INFO * w + I_TERM] as number];
        if (term === undefined) throw new RangeError(`index state: word ${w} has no term`);
        this.surfaceSlot[w] = this.listener.added(name, term);
      }
    }
  }

  private grow(capacity: number): void {
    this.lengths = [
      grownFloat64(this.lengths[0], capacity),
      grownFloat64(this.lengths[1], capacity),
      grownFloat64(this.lengths[2], capacity),
    ];
    this.namespaceIds = grownInt32(this.namespaceIds, capacity);
    this.typeIds = grownInt32(this.typeIds, capacity);
    this.updatedAt = grownFloat64(this.updatedAt, capacity);
    this.expiresAt = grownFloat64(this.expiresAt, capacity);
    this.docSurfaceStart = grownInt32(this.docSurfaceStart, capacity);
    this.docSurfaceCount = grownInt32(this.docSurfaceCount, capacity);
    const alive = new Uint8Array(capacity);
    alive.set(this.alive);
    this.alive = alive;
    this.capacity = capacity;
  }
}

/** An InvertedIndex as plain data and typed arrays (see `exportState`). */
export interface InvertedState {
  analyzer: AnalyzerState;
  terms: number;
  termStart: Int32Array<ArrayBuffer>;
  termLength: Int32Array<ArrayBuffer>;
  termCap: Int32Array<ArrayBuffer>;
  postings: Int32Array<ArrayBuffer>;
  arenaGarbage: number;
  lengthKey: Float64Array<ArrayBuffer>;
  lengthTags: Float64Array<ArrayBuffer>;
  lengthValue: Float64Array<ArrayBuffer>;
  namespaceIds: Int32Array<ArrayBuffer>;
  typeIds: Int32Array<ArrayBuffer>;
  updatedAt: Float64Array<ArrayBuffer>;
  expiresAt: Float64Array<ArrayBuffer>;
  alive: Uint8Array<ArrayBuffer>;
  keys: (string | null)[];
  /** Per document: its tags' list in `tagLists`, -1 for a removed document. */
  tagIds: Int32Array<ArrayBuffer>;
  tagLists: string[][];
  namespaceNames: string[];
  typeNames: string[];
  docSurfaceStart: Int32Array<ArrayBuffer>;
  docSurfaceCount: Int32Array<ArrayBuffer>;
  docSurfaces: Int32Array<ArrayBuffer>;
  docSurfacesGarbage: number;
  totalLengths: number[];
  next: number;
  live: number;
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
