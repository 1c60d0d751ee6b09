/** memory_query / `memory-bank query`: ranked, typo-tolerant search, exact and prefix lookups, listings. */
import { z } from "zod";
import {
  IsoDate,
  KEY_HARD_MAX,
  KeySchema,
  MemoryTypeSchema,
  NamespaceSchema,
  TagSchema,
} from "../../domain/entry.js";
import { printable } from "../../domain/input.js";
import { brief, defineOperation } from "./operation.js";

export const SEARCH_MODES = ["hybrid", "fulltext", "fuzzy", "exact", "semantic"] as const;
export const SearchModeSchema = z.enum(SEARCH_MODES, {
  error: (iss) => `mode '${String(iss.input)}' is not one of: ${SEARCH_MODES.join(", ")}`,
});

const TimeBound = z.string().refine((s) => !Number.isNaN(Date.parse(s)), {
  error: (iss) => `'${printable(iss.input)}' is not a date: use ISO 8601 such as 2026-01-31T12:00:00Z`,
});

/** Results per page: 1..1000, default 10. */
export const LimitSchema = z
  .number({ error: "limit must be a number from 1 to 1000" })
  .int({ error: "limit must be a whole number from 1 to 1000" })
  .min(1, { error: "limit must be at least 1" })
  .max(1000, { error: "limit must be at most 1000" })
  .optional()
  .describe("Results per page, 1..1000 (default 10).");

export const QueryInputSchema = z.object({
  query: z
    .string({ error: "query must be a string" })
    .max(4096, { error: "query is longer than 4096 characters: shorten it" })
    .optional()
    .describe("Words to search for in keys, values and tags, e.g. 'how do we authenticate the CLI'."),
  key: KeySchema.optional().describe("Exact key lookup."),
  keyPrefix: z
    .string({ error: "keyPrefix must be a string" })
    .max(KEY_HARD_MAX)
    .optional()
    .describe("Every key that starts with this prefix."),
  namespace: NamespaceSchema.optional().describe("Search one namespace (default: all)."),
  namespaces: z.array(NamespaceSchema).max(100).optional().describe("Search these namespaces."),
  tags: z.array(TagSchema).max(100).optional().describe("Only entries carrying these tags."),
  tagMode: z
    .enum(["all", "any"])
    .optional()
    .describe("Entries must carry all tags (default) or any of them."),
  type: MemoryTypeSchema.optional().describe("Only entries of this type."),
  mode: SearchModeSchema.optional().describe(
    "hybrid (default: ranked full text + typo tolerance), fulltext, fuzzy, exact (key/prefix only), semantic (needs embeddings configured).",
  ),
  since: TimeBound.optional().describe("Only entries updated at or after this time (ISO 8601)."),
  until: TimeBound.optional().describe("Only entries updated at or before this time (ISO 8601)."),
  includeExpired: z.boolean().optional().describe("Also return expired entries not yet cleaned up."),
  limit: LimitSchema,
  cursor: z.string().max(4096).optional().describe("nextCursor of the previous page, to get the next page."),
});
export type QueryInput = z.infer<typeof QueryInputSchema>;

export const QueryResultSchema = z.object({
  key: z.string(),
  namespace: z.string(),
  value: z.unknown(),
  type: MemoryTypeSchema,
  tags: z.array(z.string()),
  score: z.number(),
  version: z.number().int(),
  updatedAt: IsoDate,
  expiresAt: IsoDate.optional(),
});
export type QueryResult = z.infer<typeof QueryResultSchema>;

export const QueryOutputSchema = z.object({
  results: z.array(QueryResultSchema),
  nextCursor: z.string().optional().describe("Pass as cursor to get the next page; absent on the last page."),
});
export type QueryOutput = z.infer<typeof QueryOutputSchema>;

export const queryOperation = defineOperation({
  name: "memory_query",
  input: QueryInputSchema,
  output: QueryOutputSchema,
  run: (bank, input) => bank.query(input),
  render: (o) =>
    o.results.length === 0
      ? "No memories matched."
      : [
          `${o.results.length} result(s)${o.nextCursor ? " (more: pass nextCursor)" : ""}:`,
          ...o.results.map(
            (r) => `- [${r.namespace}] ${r.key} (score ${r.score.toFixed(3)}): ${brief(r.value)}`,
          ),
        ].join("\n"),
});
