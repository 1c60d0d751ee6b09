/**
 * How memory_query is answered, and parallel_query. One planning step (plan.ts), then: key,
 * prefix and listing queries by a scan (scan.ts); ranked text queries from the search index kept
 * in step with the store (index-sync.ts), or by a scan while indexing is off; semantic queries by
 * cosine similarity over embeddings, and hybrid ones by fusing both (embeddings/semantic.ts).
 * Every page is shaped by page.ts within its byte budget.
 */
import { errorMessage, MemoryError } from "../../domain/errors.js";
import type { SearchCursor } from "../../search/api.js";
import { ENABLE_HINT } from "../embeddings/client.js";
import type { SemanticIndex } from "../embeddings/semantic.js";
import { runBatch } from "../executor.js";
import type { IndexSync } from "../index-sync.js";
import type { OperationContext } from "../operations/operation.js";
import type { ParallelQueryInput, ParallelQueryOutput } from "../operations/parallel-query.js";
import type { QueryInput, QueryOutput } from "../operations/query.js";
import type { StoreRead } from "../reads.js";
import { page, RESPONSE_BUDGET_BYTES, type ResponseOptions } from "./page.js";
import { planQuery } from "./plan.js";
import { passes, scanQuery, substringQuery } from "./scan.js";

export interface QueryDeps {
  read(): StoreRead;
  index: IndexSync;
  semantic(): SemanticIndex | undefined;
  concurrentQueries: number;
  log: (message: string) => void;
}

export class Queries {
  private warnedFallback = false;

  constructor(private readonly deps: QueryDeps) {}

  /**
   * Answers without waiting, for every mode that needs no embedding endpoint (a running index
   * build is finished on this thread). Ranked text queries are answered from the index's result
   * cache when nothing changed.
   */
  querySync(input: QueryInput, options: ResponseOptions = {}): QueryOutput {
    const read = this.deps.read();
    const q = planQuery(input, options, read.now);
    const { text, mode, filter, limit, queryId, after, maxBytes } = q;
    if (mode === "semantic") {
      throw new MemoryError(
        "UNAVAILABLE",
        this.deps.semantic()
          ? 'mode "semantic" is answered by MemoryBank.query (memory_query), which waits for the embedding endpoint'
          : `mode "semantic" needs an embedding provider: ${ENABLE_HINT}`,
      );
    }
    if (input.key !== undefined || input.keyPrefix !== undefined || mode === "exact" || !text) {
      return scanQuery(read, input, q, mode === "exact" ? text : undefined);
    }
    const index = this.deps.index.current();
    if (index) {
      const found = index.search({ text, mode, filter, limit, ...(after ? { after } : {}) });
      return page(
        found.hits,
        found.hasMore,
        queryId,
        maxBytes,
        (n, k) => read.stored(n, k),
        found.next?.plan,
      );
    }
    return substringQuery(read, q);
  }

  /**
   * memory_query: every mode. A ranked query that arrives while the index builds waits for it
   * (without blocking other requests); `semantic` ranks by cosine similarity over the entries'
   * embeddings and, with memory.embeddings.enabled, `hybrid` fuses it with the text ranking. If
   * the endpoint fails, semantic queries fail with its error (naming the url and the config
   * field) while hybrid falls back to text ranking alone.
   */
  async query(input: QueryInput, options: ResponseOptions = {}): Promise<QueryOutput> {
    const index = this.deps.index;
    if (index.building && input.query?.trim() && input.key === undefined && input.keyPrefix === undefined)
      await index.ready();
    const mode = input.mode ?? "hybrid";
    const semantic = this.deps.semantic();
    const text = input.query?.trim() ?? "";
    if (
      !semantic ||
      (mode !== "semantic" && mode !== "hybrid") ||
      !text ||
      input.key !== undefined ||
      input.keyPrefix !== undefined
    ) {
      return this.querySync(input, options);
    }
    const read = this.deps.read();
    const q = planQuery(input, options, read.now);
    // A hybrid query whose first page was ranked by text alone stays so on later pages.
    if (mode === "hybrid" && q.after && !q.fusion) return this.querySync(input, options);
    const accept = (ns: string, key: string) => {
      const e = read.stored(ns, key);
      return (
        e !== undefined &&
        passes(read, e, q.filter) &&
        (!q.filter.namespaces || q.filter.namespaces.includes(ns))
      );
    };
    let vector: Float32Array;
    try {
      await semantic.ready();
      vector = await semantic.embedQuery(text);
    } catch (error) {
      if (mode === "semantic" || q.fusion) throw error;
      if (!this.warnedFallback) {
        this.warnedFallback = true;
        this.deps.log(`hybrid queries rank by text alone while embeddings fail: ${errorMessage(error)}`);
      }
      return this.querySync(input, options);
    }
    this.warnedFallback = false;
    read.catchUp();
    const lookup = (n: string, k: string) => read.stored(n, k);
    const textIndex = mode === "semantic" ? undefined : index.current();
    if (!textIndex) {
      const found = semantic.rank(vector, accept, q.limit, q.after);
      return page(found.hits, found.hasMore, q.queryId, q.maxBytes, lookup);
    }
    const plan = q.after?.plan ?? textIndex.plan(text, "hybrid");
    const start: SearchCursor = { score: Number.MAX_VALUE, namespace: "", key: "", plan };
    const found = semantic.fuse(
      vector,
      accept,
      (n) => textIndex.search({ text, mode: "hybrid", filter: q.filter, limit: n, after: start }),
      q.limit,
      q.after,
      q.fusion,
    );
    return page(found.hits, found.hasMore, q.queryId, q.maxBytes, lookup, plan, found.fusion);
  }

  /** parallel_query: every search its own page, run `performance.concurrentQueries` at a time. */
  async parallelQuery(
    input: ParallelQueryInput,
    progress: OperationContext = {},
  ): Promise<ParallelQueryOutput> {
    const started = performance.now();
    const jobs: Array<{ label: string; namespace?: string; q: QueryInput }> = [];
    for (const raw of input.queries) {
      const base: QueryInput = typeof raw === "string" ? { query: raw } : raw;
      const q: QueryInput = { ...base, limit: base.limit ?? input.limit ?? 10 };
      const label = typeof raw === "string" ? raw : (raw.query ?? raw.key ?? raw.keyPrefix ?? "");
      if (input.namespaces?.length) {
        for (const ns of input.namespaces)
          jobs.push({ label, namespace: ns, q: { ...q, namespace: ns, namespaces: undefined } });
      } else {
        jobs.push({ label, q });
      }
    }
    // Every page is cut to its share of one response budget: 100 searches of large values must
    // not add up to an answer the client cannot take.
    const maxBytes = Math.max(64 * 1024, Math.floor(RESPONSE_BUDGET_BYTES / Math.max(1, jobs.length)));
    const report = await runBatch(jobs, async (job) => this.query(job.q, { maxBytes }), {
      concurrency: this.deps.concurrentQueries,
      retries: 0,
      ...(progress.signal ? { signal: progress.signal } : {}),
      ...(progress.onProgress ? { onProgress: progress.onProgress } : {}),
    });
    return {
      results: jobs.map((job, i) => {
        const o = report.outcomes[i];
        const base = { query: job.label, ...(job.namespace ? { namespace: job.namespace } : {}) };
        return o?.ok
          ? {
              ...base,
              results: o.value.results,
              ...(o.value.nextCursor ? { nextCursor: o.value.nextCursor } : {}),
            }
          : { ...base, results: [], error: o?.message ?? "failed" };
      }),
      tookMs: Math.round((performance.now() - started) * 1000) / 1000,
    };
  }
}
