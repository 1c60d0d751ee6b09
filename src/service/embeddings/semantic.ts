/**
 * Semantic search over entry embeddings (`memory.embeddings`, off by default because it sends
 * entry text to the configured endpoint).
 *
 * - Every entry, written here or replayed from another process, is queued; a background drain
 *   embeds queued entries in batches of `embeddings.batchSize` through the batch executor
 *   (`runBatch`: bounded concurrency, retries of transient failures). A vector is reused while
 *   the content hash of the entry's text is unchanged, so only new or edited entries are sent.
 * - Vectors persist beside the store (`vectors.ts`), so a restart re-embeds nothing.
 * - `rank` orders by cosine similarity (exact: every accepted vector is scored). Scores do not
 *   depend on the rest of the collection, so cursor paging is stable across writes.
 * - `fuse` mixes BM25 and cosine for `hybrid`: a convex combination of the BM25 score divided by
 *   the best BM25 score of the first page and the cosine min-max scaled between the mean and
 *   the best cosine of the first page. Those three constants travel in the cursor, so an
 *   unchanged entry keeps its fused score on every page whatever is written in between (rank
 *   fusion such as RRF would not: ranks move with every write). It is exact, not a re-ranking
 *   of a candidate window: BM25 hits are fetched in growing windows until no entry outside the
 *   window could still reach the page.
 */
import { createHash } from "node:crypto";
import type { Entry } from "../../domain/entry.js";
import { errorMessage, MemoryError } from "../../domain/errors.js";
import { compareRanked, TopK } from "../../search/topk.js";
import { flattenText } from "../../search/value-text.js";
import { storeLayout } from "../../store/layout.js";
import { runBatch } from "../executor.js";
import { EmbeddingClient, type EmbeddingsConfig, isRetryableEmbeddingError } from "./client.js";
import { dot, idOf, loadVectors, normalize, saveVectors, type VectorRecord } from "./vectors.js";

/** Text sent per entry: key, tags and the value's text, capped (embedding models truncate anyway). */
const MAX_EMBED_CHARS = 8192;
/** Weight of the BM25 side in hybrid fusion; the cosine side gets the rest. */
export const FUSION_TEXT_WEIGHT = 0.6;
const QUERY_CACHE_SIZE = 256;
const SAVE_DELAY_MS = 1000;
const DRAIN_DELAY_MS = 20;

export interface Hit {
  namespace: string;
  key: string;
  score: number;
}

export interface Page {
  hits: Hit[];
  hasMore: boolean;
}

/** [best BM25 score, cosine floor, cosine ceiling] of the first page of a fused query. */
export type Fusion = [number, number, number];

export interface SemanticOptions {
  config: EmbeddingsConfig;
  /** The store snapshot path; vectors go beside it. */
  dataPath: string;
  /** Current entry, or undefined when deleted or expired away. */
  source: (namespace: string, key: string) => Entry | undefined;
  concurrency: number;
  fsync?: boolean;
  log: (message: string) => void;
  env?: NodeJS.ProcessEnv;
}

export function entryText(e: Pick<Entry, "key" | "tags" | "value">): string {
  const text = `${e.key}\n${e.tags.join(" ")}\n${flattenText(e.value, MAX_EMBED_CHARS)}`;
  return text.length > MAX_EMBED_CHARS ? text.slice(0, MAX_EMBED_CHARS) : text;
}

function hashOf(text: string): string {
  return createHash("sha1").update(text).digest("base64url").slice(0, 16);
}

interface Queued {
  namespace: string;
  key: string;
}

export class SemanticIndex {
  readonly client: EmbeddingClient;
  readonly file: string;
  private vectors = new Map<string, VectorRecord>();
  /** id → token; a new token per change, so a drain knows whether an entry changed meanwhile. */
  private readonly queue = new Map<string, Queued>();
  private draining: Promise<boolean> | undefined;
  private drainTimer: NodeJS.Timeout | undefined;
  private saveTimer: NodeJS.Timeout | undefined;
  private saving: Promise<void> | undefined;
  private dirty = false;
  private closed = false;
  private lastError: unknown;
  private lastLogged = "";
  private readonly queryVectors = new Map<string, Float32Array>();

  private constructor(private readonly options: SemanticOptions) {
    this.client = new EmbeddingClient(options.config, options.env);
    this.file = storeLayout(options.dataPath).vectors;
  }

  /** Loads saved vectors and queues every entry whose vector is missing or stale. Never throws on a bad endpoint. */
  static async open(options: SemanticOptions, entries: Iterable<Entry>): Promise<SemanticIndex> {
    const index = new SemanticIndex(options);
    index.vectors = await loadVectors(index.file, index.client.fingerprint, options.log);
    index.reset(entries);
    return index;
  }

  get size(): number {
    return this.vectors.size;
  }

  /** Entries not embedded yet. */
  get pending(): number {
    return this.queue.size;
  }

  /** The whole store was replaced (recovery): forget vectors of entries that are gone, queue the rest. */
  reset(entries: Iterable<Entry>): void {
    const live = new Set<string>();
    for (const e of entries) {
      const id = idOf(e.namespace, e.key);
      live.add(id);
      this.queue.set(id, { namespace: e.namespace, key: e.key });
    }
    for (const id of this.vectors.keys()) {
      if (!live.has(id)) {
        this.vectors.delete(id);
        this.dirty = true;
      }
    }
    this.schedule();
  }

  /** An applied change (this process's or another's). Cheap: the drain does the work. */
  changed(kind: "put" | "del", namespace: string, key: string): void {
    const id = idOf(namespace, key);
    if (kind === "del") {
      this.queue.delete(id);
      if (this.vectors.delete(id)) this.dirty = true;
      this.scheduleSave();
      return;
    }
    this.queue.set(id, { namespace, key });
    this.schedule();
  }

  /**
   * Resolves when every entry has a current vector; throws the endpoint's error (naming the url
   * and the config field) when some cannot be embedded.
   */
  async ready(): Promise<void> {
    this.client.check();
    while (this.queue.size > 0) {
      const failed = await this.drain();
      if (failed) throw this.lastError instanceof Error ? this.lastError : new Error(String(this.lastError));
    }
  }

  /** The query's unit vector (cached: the same text always embeds the same way for one model). */
  async embedQuery(text: string): Promise<Float32Array> {
    const cached = this.queryVectors.get(text);
    if (cached) {
      this.queryVectors.delete(text);
      this.queryVectors.set(text, cached);
      return cached;
    }
    const [v] = await this.client.embed([text]);
    if (!v)
      throw new MemoryError("UNAVAILABLE", `embedding endpoint ${this.client.config.url} returned no vector`);
    const unit = normalize(v);
    this.queryVectors.set(text, unit);
    if (this.queryVectors.size > QUERY_CACHE_SIZE) {
      const oldest = this.queryVectors.keys().next();
      if (!oldest.done) this.queryVectors.delete(oldest.value);
    }
    return unit;
  }

  /** Cosine ranking of every accepted entry, after `after` (score desc, namespace, key). */
  rank(
    query: Float32Array,
    accept: (namespace: string, key: string) => boolean,
    limit: number,
    after?: Hit,
  ): Page {
    const top = new TopK(limit + 1);
    for (const r of this.vectors.values()) {
      if (!accept(r.namespace, r.key)) continue;
      const score = dot(query, r.vector);
      if (after && compareRanked(score, r.namespace, r.key, after.score, after.namespace, after.key) <= 0)
        continue;
      top.offer({ doc: 0, score, namespace: r.namespace, key: r.key });
    }
    const sorted = top.sorted();
    return { hits: sorted.slice(0, limit).map(hitOf), hasMore: sorted.length > limit };
  }

  /**
   * Hybrid fusion of BM25 (`textTop(n)`: the best n text hits, from the start, scored with one
   * fixed plan) and cosine similarity. `fusion` is undefined on the first page and returned for
   * the cursor. See the module comment for why this is exact and stable.
   */
  fuse(
    query: Float32Array,
    accept: (namespace: string, key: string) => boolean,
    textTop: (n: number) => Page,
    limit: number,
    after?: Hit,
    fusion?: Fusion,
  ): Page & { fusion: Fusion } {
    const cosines: Array<{ id: string; r: VectorRecord; cos: number }> = [];
    let sum = 0;
    let best = Number.NEGATIVE_INFINITY;
    for (const [id, r] of this.vectors) {
      if (!accept(r.namespace, r.key)) continue;
      const cos = dot(query, r.vector);
      cosines.push({ id, r, cos });
      sum += cos;
      if (cos > best) best = cos;
    }
    let window = Math.max(100, 4 * limit);
    let text = textTop(window);
    if (!fusion) {
      const bm = text.hits[0]?.score ?? 0;
      fusion = [bm > 0 ? bm : 1, cosines.length ? sum / cosines.length : 0, cosines.length ? best : 1];
    }
    const [bmMax, low, high] = fusion;
    const span = high - low > 1e-9 ? high - low : 1;
    const a = FUSION_TEXT_WEIGHT;
    const textPart = (bm: number) => a * Math.min(1, bm / bmMax);
    const cosPart = (cos: number) => (1 - a) * Math.min(1, Math.max(0, (cos - low) / span));
    for (;;) {
      const bm = new Map<string, number>();
      for (const h of text.hits) bm.set(idOf(h.namespace, h.key), h.score);
      const last = text.hits[text.hits.length - 1];
      // An entry outside the window has a BM25 score of at most the window's last one.
      const unseen = text.hasMore && last ? textPart(last.score) : 0;
      const top = new TopK(limit + 1);
      let uncertain = unseen;
      const isAfter = (score: number, ns: string, key: string) =>
        !after || compareRanked(score, ns, key, after.score, after.namespace, after.key) > 0;
      for (const c of cosines) {
        const s = bm.get(c.id);
        if (s !== undefined) bm.delete(c.id); // what stays in bm has no vector
        const score = cosPart(c.cos) + (s !== undefined ? textPart(s) : 0);
        if (!isAfter(score, c.r.namespace, c.r.key)) continue;
        top.offer({ doc: 0, score, namespace: c.r.namespace, key: c.r.key });
        if (s === undefined && score + unseen > uncertain) uncertain = score + unseen;
      }
      for (const h of text.hits) {
        // Text hits without a vector (not embedded): BM25 side only.
        if (!bm.has(idOf(h.namespace, h.key))) continue;
        const score = textPart(h.score);
        if (isAfter(score, h.namespace, h.key))
          top.offer({ doc: 0, score, namespace: h.namespace, key: h.key });
      }
      const sorted = top.sorted();
      const pageLast = sorted[limit - 1];
      const exact = !text.hasMore || (pageLast !== undefined && uncertain < pageLast.score);
      if (exact) {
        return {
          hits: sorted.slice(0, limit).map(hitOf),
          hasMore: sorted.length > limit || text.hasMore,
          fusion,
        };
      }
      window *= 4;
      text = textTop(window);
    }
  }

  /** Waits for the drain in flight and writes the vectors file if anything changed. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.drainTimer) clearTimeout(this.drainTimer);
    if (this.saveTimer) clearTimeout(this.saveTimer);
    await this.draining;
    await this.saving;
    if (this.dirty) await this.save();
  }

  /** Writes the vectors file now. */
  async save(): Promise<void> {
    if (this.saving) return this.saving;
    this.dirty = false;
    this.saving = saveVectors(this.file, this.client.fingerprint, [...this.vectors.values()], {
      fsync: this.options.fsync ?? true,
    })
      .then(() => undefined)
      .catch((error: unknown) => {
        this.dirty = true;
        this.options.log(`cannot write ${this.file}: ${errorMessage(error)}`);
      })
      .finally(() => {
        this.saving = undefined;
      });
    return this.saving;
  }

  private schedule(): void {
    if (this.closed || this.drainTimer || this.queue.size === 0) return;
    this.drainTimer = setTimeout(() => {
      this.drainTimer = undefined;
      void this.drain();
    }, DRAIN_DELAY_MS);
    this.drainTimer.unref();
  }

  private scheduleSave(): void {
    if (this.closed || this.saveTimer || !this.dirty) return;
    this.saveTimer = setTimeout(() => {
      this.saveTimer = undefined;
      void this.save();
    }, SAVE_DELAY_MS);
    this.saveTimer.unref();
  }

  /** One pass over the queue (single flight). Resolves true when some entries failed. */
  private drain(): Promise<boolean> {
    if (this.draining) return this.draining;
    this.draining = this.drainQueue().finally(() => {
      this.draining = undefined;
    });
    return this.draining;
  }

  private async drainQueue(): Promise<boolean> {
    const { config, source, concurrency } = this.options;
    try {
      this.client.check();
    } catch (error) {
      this.lastError = error;
      this.logOnce(error);
      return true;
    }
    const ids = [...this.queue.entries()];
    const window = config.batchSize * Math.max(1, concurrency) * 4;
    let failed = false;
    for (let start = 0; start < ids.length && !this.closed; start += window) {
      const items: Array<{ id: string; token: Queued; text: string; hash: string }> = [];
      for (const [id, token] of ids.slice(start, start + window)) {
        if (this.queue.get(id) !== token) continue; // changed again meanwhile: a later pass takes it
        const entry = source(token.namespace, token.key);
        if (!entry) {
          this.queue.delete(id);
          if (this.vectors.delete(id)) this.dirty = true;
          continue;
        }
        const text = entryText(entry);
        const hash = hashOf(text);
        if (this.vectors.get(id)?.hash === hash) {
          this.queue.delete(id);
          continue;
        }
        items.push({ id, token, text, hash });
      }
      const chunks: (typeof items)[] = [];
      for (let i = 0; i < items.length; i += config.batchSize)
        chunks.push(items.slice(i, i + config.batchSize));
      const report = await runBatch(chunks, (chunk) => this.client.embed(chunk.map((c) => c.text)), {
        concurrency: Math.max(1, concurrency),
        retries: 2,
        retryDelayMs: 100,
        isRetryable: isRetryableEmbeddingError,
      });
      report.outcomes.forEach((o, c) => {
        if (!o.ok) {
          failed = true;
          this.lastError = o.error;
          return;
        }
        (chunks[c] ?? []).forEach((item, i) => {
          const vector = o.value[i];
          if (!vector) return;
          this.vectors.set(item.id, {
            namespace: item.token.namespace,
            key: item.token.key,
            hash: item.hash,
            vector: normalize(vector),
          });
          this.dirty = true;
          if (this.queue.get(item.id) === item.token) this.queue.delete(item.id);
        });
      });
      if (failed) break;
    }
    if (failed) this.logOnce(this.lastError);
    else this.lastLogged = "";
    this.scheduleSave();
    return failed;
  }

  private logOnce(error: unknown): void {
    const message = error instanceof Error ? error.message : String(error);
    if (message === this.lastLogged) return;
    this.lastLogged = message;
    this.options.log(`embeddings: ${message} (${this.queue.size} entries wait to be embedded)`);
  }
}

function hitOf(r: { score: number; namespace: string; key: string }): Hit {
  return { namespace: r.namespace, key: r.key, score: r.score };
}
