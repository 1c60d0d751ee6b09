/** The parts of a query every mode needs: its filter, page size and budget, identity and decoded cursor. */
import type { SearchFilter } from "../../search/api.js";
import type { QueryInput } from "../operations/query.js";
import { decodeCursor, fingerprint } from "./cursor.js";
import { RESPONSE_BUDGET_BYTES, type ResponseOptions } from "./page.js";

export type QueryPlan = ReturnType<typeof planQuery>;

/** `now` is the store's time the query is answered at: what "expired" means for its filter. */
export function planQuery(input: QueryInput, options: ResponseOptions, now: number) {
  const limit = input.limit ?? 10;
  const namespaces = mergeNamespaces(input.namespace, input.namespaces);
  const filter: SearchFilter = {
    ...(namespaces ? { namespaces } : {}),
    ...(input.tags?.length ? { tags: input.tags, tagMode: input.tagMode ?? "all" } : {}),
    ...(input.type ? { type: input.type } : {}),
    ...(input.since ? { since: Date.parse(input.since) } : {}),
    ...(input.until ? { until: Date.parse(input.until) } : {}),
    includeExpired: input.includeExpired ?? false,
    now,
  };
  // Identity of the query a cursor belongs to: every field that changes the answer, with
  // defaults filled in and in a fixed order, so equal queries match however they were spelled.
  const queryId = fingerprint([
    input.query?.trim() ?? "",
    input.key ?? null,
    input.keyPrefix ?? null,
    namespaces ? [...namespaces].sort() : null,
    input.tags ? [...input.tags].sort() : null,
    input.tags?.length ? (input.tagMode ?? "all") : null,
    input.type ?? null,
    input.mode ?? "hybrid",
    input.since ?? null,
    input.until ?? null,
    input.includeExpired ?? false,
    limit,
  ]);
  const text = input.query?.trim() ?? "";
  const mode = input.mode ?? "hybrid";
  // The text side of a fused hybrid query is planned in hybrid mode too.
  const planMode = mode === "fulltext" || mode === "fuzzy" || mode === "hybrid" ? mode : undefined;
  const decoded = input.cursor ? decodeCursor(input.cursor, queryId, text, planMode) : undefined;
  const maxBytes = options.maxBytes ?? RESPONSE_BUDGET_BYTES;
  return { text, mode, filter, limit, queryId, after: decoded?.after, fusion: decoded?.fusion, maxBytes };
}

function mergeNamespaces(one?: string, many?: readonly string[]): string[] | undefined {
  if (one === undefined && !many?.length) return undefined;
  return [...new Set([...(one !== undefined ? [one] : []), ...(many ?? [])])];
}
