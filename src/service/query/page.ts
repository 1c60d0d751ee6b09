/**
 * A page of hits shaped into results, within a token budget and a byte ceiling. A model reads
 * the answer: a page stops once it would pass `maxTokens` (DEFAULT_ANSWER_TOKENS unless the
 * caller asks for another), a value too long for its share travels as a preview with the URI
 * that reads it whole, and the answer says what it left out. Independently, MCP clients drop
 * the connection on answers over 10 MiB, so no page passes `maxBytes` of JSON either. A cut
 * page's nextCursor continues right after the last result sent.
 *
 * Tokens are approximated as UTF-8 bytes / 3, rounded up: tokenizers give English prose about 4
 * bytes per token and JSON, code and identifiers about 3, so this overestimates and the answer
 * stays within the budget as a model counts it.
 */
import type { Entry } from "../../domain/entry.js";
import type { SearchPlan } from "../../search/api.js";
import type { Fusion } from "../embeddings/semantic.js";
import type { QueryOutput, QueryResult } from "../operations/query.js";
import { entryUri } from "../resources.js";
import { encodeCursor } from "./cursor.js";

/** Default ceiling on the JSON of one query's results; see `page()`. */
export const RESPONSE_BUDGET_BYTES = 4 * 1024 * 1024;

/**
 * The default answer budget, in tokens. Claude Code warns at 10,000 tokens of tool output and
 * refuses 25,000 by default; other clients truncate earlier. 8,000 leaves room for the rest of
 * the turn and still holds dozens of typical memories.
 */
export const DEFAULT_ANSWER_TOKENS = 8000;
/** The approximation: see the file's comment. */
export const BYTES_PER_TOKEN = 3;
/** The smallest budget a caller may ask for: one result with a preview fits in it. */
export const MIN_ANSWER_TOKENS = 200;

export function approxTokens(bytes: number): number {
  return Math.ceil(bytes / BYTES_PER_TOKEN);
}

export interface ResponseOptions {
  /** Cut a page's results once their JSON would pass this many bytes (default RESPONSE_BUDGET_BYTES). */
  maxBytes?: number;
  /** Cut a page once its answer would pass this many tokens (default DEFAULT_ANSWER_TOKENS). */
  maxTokens?: number;
}

export interface Budget {
  maxBytes: number;
  maxTokens: number;
}

/** Values longer than this share of the budget travel as previews (at least 100 tokens). */
function previewThreshold(maxTokens: number): number {
  return Math.max(100, Math.floor(maxTokens / 10));
}

/** A preview's length: the first characters of the value's text, about a quarter of the threshold. */
function previewChars(maxTokens: number): number {
  return Math.max(200, Math.floor((previewThreshold(maxTokens) * BYTES_PER_TOKEN) / 4));
}

/** What the answer's text line for a result costs (operation.ts renders up to 200 characters of value). */
const TEXT_LINE_BYTES = 300;

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
  budget: Budget,
  lookup: (namespace: string, key: string) => Entry | undefined,
  plan?: SearchPlan,
  fusion?: Fusion,
): QueryOutput {
  const results: QueryResult[] = [];
  const { maxBytes, maxTokens } = budget;
  let bytes = 0;
  let tokens = 0;
  let sent = 0;
  let previews = 0;
  let cut = 0;
  for (const h of hits) {
    const e = lookup(h.namespace, h.key);
    if (e) {
      const result = toResult(e, h.score, maxTokens);
      const size = Buffer.byteLength(JSON.stringify(result)) + 2;
      const cost = approxTokens(size + TEXT_LINE_BYTES);
      if (results.length > 0 && (bytes + size > maxBytes || tokens + cost > maxTokens)) {
        cut = hits.slice(sent).filter((x) => lookup(x.namespace, x.key)).length;
        hasMore = true;
        break;
      }
      bytes += size;
      tokens += cost;
      if (result.preview) previews++;
      results.push(result);
    }
    sent++;
  }
  const last = hits[sent - 1];
  const omitted =
    cut > 0 || previews > 0
      ? {
          omitted: {
            results: cut,
            previews,
            note: [
              cut > 0
                ? `${cut} more result(s) of this page did not fit in ${maxTokens} tokens: pass nextCursor (or a larger maxTokens) for them`
                : "",
              previews > 0
                ? `${previews} value(s) are previews (preview: true): read one whole with memory_get or resources/read of its uri`
                : "",
            ]
              .filter(Boolean)
              .join("; "),
          },
        }
      : {};
  return {
    results,
    ...omitted,
    tokens,
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

/** An entry as a result: its value whole when it fits its share of the budget, else a preview with its URI. */
function toResult(e: Entry, score: number, maxTokens: number): QueryResult {
  const text = typeof e.value === "string" ? e.value : JSON.stringify(e.value);
  const valueTokens = approxTokens(Buffer.byteLength(text));
  const long = valueTokens > previewThreshold(maxTokens);
  return {
    key: e.key,
    namespace: e.namespace,
    value: long ? `${text.slice(0, previewChars(maxTokens))}…` : e.value,
    ...(long ? { preview: true as const, valueTokens, uri: entryUri(e.namespace, e.key) } : {}),
    type: e.type,
    tags: e.tags,
    score,
    version: e.version,
    updatedAt: e.updatedAt,
    ...(e.expiresAt ? { expiresAt: e.expiresAt } : {}),
  };
}
