/**
 * Bulk builds, in slices that can yield to the event loop, optionally with worker threads.
 *
 * Sequential: documents are admitted (numbered, filterable columns written) and analyzed on
 * this thread into per-chunk (term id, tf) pairs while document frequencies are counted;
 * once every document is in, each posting list is laid out once, exactly sized
 * (`InvertedIndex.layOutBulk`), chunk by chunk in document order.
 *
 * Parallel: the main thread admits each chunk of documents (that fixes their numbers: a
 * chunk is a contiguous range) and sends their texts to a worker, which analyzes them with
 * its own analyzer (worker-local word ids, so no shared dictionary) and sends back typed
 * arrays plus only the words it had not sent before. The main thread translates local ids to
 * the index's ids (one map lookup per distinct word per worker, not per token) and counts;
 * meanwhile it analyzes chunks itself whenever workers have enough queued. Chunks may finish
 * in any order: postings are laid out at the end in document order, so every list is the
 * concatenation of its per-chunk parts and the index equals a sequential build.
 *
 * `finishNow()` completes a build synchronously (a reader that cannot wait): chunks still on
 * workers are analyzed again here and late worker results are ignored.
 */
import { existsSync } from "node:fs";
import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { Analyzer, type FieldTexts, grownInt32, I_TERM, INFO, STOP, UNSET } from "./analyzer.js";
import { type BulkChunk, ChunkWriter, type DocMeta, type InvertedIndex } from "./inverted.js";

export type { FieldTexts } from "./analyzer.js";

export interface WorkerInit {
  stopWords: readonly string[];
}

export interface WorkerJob {
  id: number;
  /** Three texts per document: key, tags, value. */
  texts: string[];
}

/** A chunk analyzed with the worker's own word ids. */
export interface WorkerReply {
  id: number;
  error?: string;
  /** Words (`\n`-separated) the worker interned since its previous reply; ids continue. */
  newWords: string;
  /** Each new word's term as a token when known: a worker word id, `STOP` or `UNSET`. */
  newWordTerms: Int32Array;
  /** Per document: key, tags, value token counts. */
  lengths: Int32Array;
  /** Document i's surface ids are `surfaces[surfaceStart[i], surfaceStart[i + 1])`. */
  surfaceStart: Int32Array;
  surfaces: Int32Array;
  pairStart: Int32Array;
  terms: Int32Array;
  tfs: Int32Array;
}

/** Worker side: analyzes chunks with a persistent worker-local dictionary. */
export class ChunkAnalyzer {
  private readonly analyzer: Analyzer;
  private sent = 0;

  constructor(stopWords: readonly string[]) {
    this.analyzer = new Analyzer(stopWords);
  }

  analyze(job: WorkerJob): WorkerReply {
    const a = this.analyzer;
    const n = Math.floor(job.texts.length / 3);
    const lengths = new Int32Array(3 * n);
    const surfaceStart = new Int32Array(n + 1);
    const pairStart = new Int32Array(n + 1);
    let surfaces = new Int32Array(n * 32 + 64);
    let terms = new Int32Array(n * 32 + 64);
    let tfs = new Int32Array(n * 32 + 64);
    let ns = 0;
    let np = 0;
    const texts = job.texts;
    for (let i = 0; i < n; i++) {
      a.analyze([texts[3 * i] as string, texts[3 * i + 1] as string, texts[3 * i + 2] as string]);
      lengths[3 * i] = a.lengths[0];
      lengths[3 * i + 1] = a.lengths[1];
      lengths[3 * i + 2] = a.lengths[2];
      surfaces = grownInt32(surfaces, ns + a.surfaceCount);
      surfaces.set(a.docSurfaces.subarray(0, a.surfaceCount), ns);
      ns += a.surfaceCount;
      surfaceStart[i + 1] = ns;
      if (np + a.termCount > terms.length) {
        terms = grownInt32(terms, np + a.termCount);
        tfs = grownInt32(tfs, np + a.termCount);
      }
      terms.set(a.docTerms.subarray(0, a.termCount), np);
      tfs.set(a.docTfs.subarray(0, a.termCount), np);
      np += a.termCount;
      pairStart[i + 1] = np;
    }
    const limit = a.words.limit;
    const newWordTerms = new Int32Array(limit - this.sent);
    for (let i = 0; i < newWordTerms.length; i++)
      newWordTerms[i] = a.info[INFO * (this.sent + i) + I_TERM] as number;
    const reply: WorkerReply = {
      id: job.id,
      newWords: a.words.names.slice(this.sent, limit).join("\n"),
      newWordTerms,
      lengths,
      surfaceStart,
      surfaces: surfaces.slice(0, ns),
      pairStart,
      terms: terms.slice(0, np),
      tfs: tfs.slice(0, np),
    };
    this.sent = limit;
    return reply;
  }
}

/** The buffers of a reply, for a zero-copy transfer. */
export function transferList(reply: WorkerReply): ArrayBuffer[] {
  return [
    reply.newWordTerms,
    reply.lengths,
    reply.surfaceStart,
    reply.surfaces,
    reply.pairStart,
    reply.terms,
    reply.tfs,
  ].map((a) => a.buffer as ArrayBuffer);
}

/**
 * The compiled worker script beside this module (dist/src/search/build-worker.js), or
 * undefined when running from TypeScript sources, where no such file exists.
 */
export function workerScript(): URL | undefined {
  const url = new URL("./build-worker.js", import.meta.url);
  try {
    return url.protocol === "file:" && existsSync(fileURLToPath(url)) ? url : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Cores left after the main thread, at most 4, and 0 (a sequential build) below 2: the main
 * thread still interns every new word and lays out the postings, so on 2 cores one worker
 * only moves the warm-token share of analysis off it, which its translation and transfer
 * cost back (measured: 100k documents, 2.5 s either way).
 */
export function defaultWorkerCount(): number {
  const spare = Math.min(4, availableParallelism() - 1);
  return spare >= 2 ? spare : 0;
}

/** Where documents come from: validation, filterable facts and texts of one document. */
export interface BulkSource<D> {
  docs: Iterable<D>;
  meta(doc: D): DocMeta;
  texts(doc: D): FieldTexts;
}

export interface BulkOptions {
  /** Documents per chunk (the unit of work handed to a worker). */
  chunkSize: number;
  workers: number;
  script?: URL | undefined;
  /** The index's stop words, for the workers' analyzers. */
  stopWords: readonly string[];
}

/** Translation from one worker's word ids to the index's. */
interface WorkerState {
  worker: Worker;
  wordIds: Int32Array;
  wordCount: number;
  busy: number;
  failed: boolean;
}

interface SentChunk {
  firstDoc: number;
  texts: string[];
  worker: WorkerState;
}

export type StepResult = "done" | "more" | "waiting";

/** How many chunks a worker may hold: one in work, one queued behind it. */
const QUEUE_PER_WORKER = 2;
/** Documents between two looks at the clock. */
const CLOCK_EVERY = 32;

/**
 * A bulk build of `inverted` (which must be empty) from `source`. Drive it with `step` (a
 * slice of work until a deadline) or `finishNow`; `onProgress` is called when a worker result
 * arrives while the builder is waiting (call `step` again then).
 */
export class BulkBuilder<D> {
  private readonly iterator: Iterator<D>;
  private exhausted = false;
  private readonly chunks: (BulkChunk | undefined)[] = [];
  private writer: ChunkWriter | undefined;
  private writerId = -1;
  private lastPairs = 4096;
  private nextChunk = 0;
  private readonly sent = new Map<number, SentChunk>();
  private readonly workers: WorkerState[] = [];
  private scatter: ((chunk: BulkChunk) => void) | undefined;
  private scattered = 0;
  private finished = false;
  private closed = false;
  /** Documents admitted so far. */
  admitted = 0;
  /** Called when a worker result came in (the driver may be waiting for it). */
  onProgress: (() => void) | undefined;
  /** Called once with the first worker failure (the build goes on without that worker). */
  onWorkerError: ((error: Error) => void) | undefined;

  constructor(
    private readonly inverted: InvertedIndex,
    private readonly source: BulkSource<D>,
    private readonly options: BulkOptions,
  ) {
    this.iterator = source.docs[Symbol.iterator]();
    inverted.beginBulk();
    if (options.script !== undefined && options.workers > 0) {
      const init: WorkerInit = { stopWords: options.stopWords };
      for (let i = 0; i < options.workers; i++) this.startWorker(options.script, init);
    }
  }

  get done(): boolean {
    return this.finished;
  }

  /** Works until `deadline` (performance.now() ms). */
  step(deadline: number): StepResult {
    if (this.finished) return "done";
    let n = 0;
    while (!this.exhausted) {
      this.feedWorkers();
      if (this.exhausted) break;
      if (!this.analyzeOne()) break;
      if (++n % CLOCK_EVERY === 0 && performance.now() >= deadline) return "more";
    }
    this.closeWriter();
    if (this.sent.size > 0) return "waiting";
    return this.layOut(deadline);
  }

  /** Completes the build on this thread now. */
  finishNow(): void {
    if (this.finished) return;
    this.stopWorkers();
    for (const [id, chunk] of this.sent) this.analyzeHere(id, chunk);
    this.sent.clear();
    while (this.step(Number.POSITIVE_INFINITY) !== "done") {
      // step only stops early on its deadline or for workers, both gone now
    }
  }

  /** Stops the build; the index is left unusable (callers drop it). */
  cancel(): void {
    this.stopWorkers();
    this.sent.clear();
    this.chunks.length = 0;
    this.inverted.abandonBulk();
    this.finished = true;
  }

  /** Admits and analyzes the next document into this thread's chunk; false when none is left. */
  private analyzeOne(): boolean {
    const next = this.iterator.next();
    if (next.done === true) {
      this.exhausted = true;
      return false;
    }
    const doc = next.value;
    const meta = this.source.meta(doc);
    const texts = this.source.texts(doc);
    const d = this.inverted.admitBulk(meta);
    this.admitted++;
    if (this.writer === undefined) {
      // Sized like the previous chunk (plus room) so its buffers rarely grow.
      this.writer = new ChunkWriter(d, this.options.chunkSize, this.lastPairs + (this.lastPairs >> 3));
      this.writerId = this.nextChunk++;
    }
    this.inverted.analyzeAdmitted(d, texts, this.writer);
    if (this.writer.docCount >= this.options.chunkSize) this.closeWriter();
    return true;
  }

  /** Analyzes a chunk that was sent to a worker on this thread instead. */
  private analyzeHere(id: number, chunk: SentChunk): void {
    const t = chunk.texts;
    const writer = new ChunkWriter(chunk.firstDoc, t.length / 3);
    for (let i = 0; i < t.length / 3; i++) {
      this.inverted.analyzeAdmitted(
        chunk.firstDoc + i,
        [t[3 * i] as string, t[3 * i + 1] as string, t[3 * i + 2] as string],
        writer,
      );
    }
    this.chunks[id] = writer.done();
  }

  private closeWriter(): void {
    if (this.writer === undefined) return;
    this.lastPairs = Math.max(this.lastPairs, this.writer.pairs);
    this.chunks[this.writerId] = this.writer.done();
    this.writer = undefined;
  }

  /** Hands chunks to idle workers (admitting their documents here). */
  private feedWorkers(): void {
    for (const w of this.workers) {
      while (!w.failed && w.busy < QUEUE_PER_WORKER && !this.exhausted) {
        // A chunk is a contiguous range of document numbers: close this thread's chunk first.
        this.closeWriter();
        const texts: string[] = [];
        let firstDoc = -1;
        for (let i = 0; i < this.options.chunkSize; i++) {
          const next = this.iterator.next();
          if (next.done === true) {
            this.exhausted = true;
            break;
          }
          const d = this.inverted.admitBulk(this.source.meta(next.value));
          this.admitted++;
          if (firstDoc < 0) firstDoc = d;
          const [key, tags, value] = this.source.texts(next.value);
          texts.push(key, tags, value);
        }
        if (texts.length === 0) return;
        const id = this.nextChunk++;
        this.sent.set(id, { firstDoc, texts, worker: w });
        w.busy++;
        const job: WorkerJob = { id, texts };
        w.worker.postMessage(job);
      }
    }
  }

  private layOut(deadline: number): StepResult {
    if (this.scatter === undefined) this.scatter = this.inverted.layOutBulk();
    while (this.scattered < this.chunks.length) {
      const chunk = this.chunks[this.scattered];
      this.chunks[this.scattered++] = undefined;
      if (chunk !== undefined) this.scatter(chunk);
      if (performance.now() >= deadline) return this.scattered < this.chunks.length ? "more" : this.end();
    }
    return this.end();
  }

  private end(): StepResult {
    this.inverted.finishBulk();
    this.finished = true;
    this.stopWorkers();
    return "done";
  }

  private startWorker(script: URL, init: WorkerInit): void {
    const state: WorkerState = {
      worker: new Worker(script, { workerData: init }),
      wordIds: new Int32Array(1024),
      wordCount: 0,
      busy: 0,
      failed: false,
    };
    state.worker.on("message", (reply: WorkerReply) => this.receive(state, reply));
    state.worker.on("error", (err) => this.fail(state, err));
    state.worker.on("exit", (code) => {
      if (!this.closed) this.fail(state, new Error(`index build worker exited (code ${code})`));
    });
    this.workers.push(state);
  }

  private receive(w: WorkerState, reply: WorkerReply): void {
    if (this.closed || w.failed) return;
    if (reply.error !== undefined) {
      this.fail(w, new Error(reply.error));
      return;
    }
    w.busy--;
    const chunk = this.sent.get(reply.id);
    if (chunk === undefined) return;
    this.sent.delete(reply.id);
    this.translateWords(w, reply);
    const { wordIds } = w;
    const { surfaceStart, surfaces, pairStart, terms, lengths } = reply;
    for (let k = 0; k < surfaces.length; k++) surfaces[k] = wordIds[surfaces[k] as number] as number;
    for (let k = 0; k < terms.length; k++) terms[k] = wordIds[terms[k] as number] as number;
    const n = pairStart.length - 1;
    for (let i = 0; i < n; i++) {
      this.inverted.commitForeign(
        chunk.firstDoc + i,
        surfaces,
        surfaceStart[i] as number,
        surfaceStart[i + 1] as number,
        terms,
        pairStart[i] as number,
        pairStart[i + 1] as number,
        lengths,
        3 * i,
      );
    }
    this.chunks[reply.id] = { firstDoc: chunk.firstDoc, docCount: n, pairStart, terms, tfs: reply.tfs };
    this.onProgress?.();
  }

  private translateWords(w: WorkerState, reply: WorkerReply): void {
    const a = this.inverted.analyzer;
    const count = reply.newWordTerms.length;
    if (count === 0) return;
    const names = reply.newWords.split("\n");
    const base = w.wordCount;
    w.wordIds = grownInt32(w.wordIds, base + count);
    for (let i = 0; i < count; i++) w.wordIds[w.wordCount++] = a.internWord(names[i] as string);
    // Terms the worker already knows save stemming here; unknown ones are stemmed when needed.
    for (let i = 0; i < count; i++) {
      const local = reply.newWordTerms[i] as number;
      if (local === UNSET) continue;
      const at = INFO * (w.wordIds[base + i] as number) + I_TERM;
      if (a.info[at] === UNSET) a.info[at] = local === STOP ? STOP : (w.wordIds[local] as number);
    }
  }

  private fail(w: WorkerState, error: Error): void {
    if (w.failed || this.closed) return;
    w.failed = true;
    void w.worker.terminate();
    // Its chunks are analyzed again on this thread.
    for (const [id, chunk] of this.sent) {
      if (chunk.worker !== w) continue;
      this.sent.delete(id);
      this.analyzeHere(id, chunk);
    }
    this.onWorkerError?.(error);
    this.onWorkerError = undefined;
    this.onProgress?.();
  }

  private stopWorkers(): void {
    if (this.closed) return;
    this.closed = true;
    for (const w of this.workers) void w.worker.terminate();
  }
}
