/**
 * A page of hits shaped into results, within a byte budget. MCP clients drop the connection on
 * answers over 10 MiB, so a page of large values ends early and its nextCursor continues right
 * after the last result sent.
 */
import type { Entry } from "../../domain/entry.js";
import type { SearchPlan } from "../../search/api.js";
import type { Fusion } from "../embeddings/semantic.js";
import type { QueryOutput, QueryResult } from "../operations/query.js";
import { encodeCursor } from "./cursor.js";

/** Default ceiling on the JSON of one query's results; see `page()`. */
export const RESPONSE_BUDGET_BYTES = 4 * 1024 * 1024;

export interface ResponseOptions {
  /** Cut a page's results once their JSON would pass this many bytes (default RESPONSE_BUDGET_BYTES). */
  maxBytes?: number;
}

export interface Hit {
  namespace: string;
  key: string;
  score: number;
}

/**
 * Shapes a page of hits. Results stop once they would pass `maxBytes` of JSON (at least one is
 * always given); `lookup` answers the entry behind a hit (a hit whose entry is gone is skipped).
 */
export function page(
  hits: readonly Hit[],
  hasMore: boolean,
  queryId: string,
  maxBytes: number,
  lookup: (namespace: string, key: string) => Entry | undefined,
  plan?: SearchPlan,
  fusion?: Fusion,
): QueryOutput {
  const results: QueryResult[] = [];
  let bytes = 0;
  let sent = 0;
  for (const h of hits) {
    const e = lookup(h.namespace, h.key);
    if (e) {
      const size = approximateBytes(e);
      if (results.length > 0 && bytes + size > maxBytes) {
        hasMore = true;
        break;
      }
      bytes += size;
      results.push(toResult(e, h.score));
    }
    sent++;
  }
  const last = hits[sent - 1];
  return {
    results,
    ...(hasMore && last
      ? {
          nextCursor: encodeCursor(
            { score: last.score, namespace: last.namespace, key: last.key, ...(plan ? { plan } : {}) },
            queryId,
            fusion,
          ),
        }
      : {}),
  };
}

/** Size of an entry as it will travel in a result: its value plus the fields around it. */
function approximateBytes(e: Entry): number {
  return JSON.stringify(e.value).length + e.key.length + e.namespace.length + 20 * e.tags.length + 200;
}

function toResult(e: Entry, score: number): QueryResult {
  return {
    key: e.key,
    namespace: e.namespace,
    value: e.value,
    type: e.type,
    tags: e.tags,
    score,
    version: e.version,
    updatedAt: e.updatedAt,
    ...(e.expiresAt ? { expiresAt: e.expiresAt } : {}),
  };
}
