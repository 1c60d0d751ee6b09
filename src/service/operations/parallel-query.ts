/** parallel_query / `memory-bank parallel-query`: up to 100 searches in one call, run concurrently. */
import { z } from "zod";
import { NamespaceSchema } from "../../domain/entry.js";
import { brief, defineOperation } from "./operation.js";
import { LimitSchema, QueryInputSchema, QueryResultSchema } from "./query.js";

export const ParallelQueryInputSchema = z.object({
  queries: z
    .array(z.union([z.string().max(4096), QueryInputSchema]), {
      error: "queries must be an array of strings or memory_query inputs",
    })
    .min(1, { error: "queries is empty: give 1 to 100 queries" })
    .max(100, { error: "queries has more than 100 items: split it" })
    .describe("Search strings or full memory_query inputs, run concurrently."),
  namespaces: z
    .array(NamespaceSchema)
    .max(100)
    .optional()
    .describe("Run each query in each of these namespaces separately (default: all together)."),
  limit: LimitSchema,
});
export type ParallelQueryInput = z.infer<typeof ParallelQueryInputSchema>;

export const ParallelQueryOutputSchema = z.object({
  results: z.array(
    z.object({
      query: z.string(),
      namespace: z.string().optional(),
      results: z.array(QueryResultSchema),
      nextCursor: z
        .string()
        .optional()
        .describe(
          "More results exist: call memory_query with this search's query, namespace and limit plus this cursor.",
        ),
      error: z.string().optional(),
    }),
  ),
  tookMs: z.number(),
});
export type ParallelQueryOutput = z.infer<typeof ParallelQueryOutputSchema>;

export const parallelQueryOperation = defineOperation({
  name: "parallel_query",
  input: ParallelQueryInputSchema,
  output: ParallelQueryOutputSchema,
  run: (bank, input, ctx) => bank.parallelQuery(input, ctx),
  render: (o) =>
    [
      `${o.results.length} search(es) in ${o.tookMs} ms:`,
      ...o.results.map(
        (r) =>
          `- '${r.query}'${r.namespace ? ` in ${r.namespace}` : ""}: ${
            r.error
              ? `error: ${r.error}`
              : r.results.map((x) => `${x.key}=${brief(x.value, 60)}`).join("; ") || "no match"
          }`,
      ),
    ].join("\n"),
  items: (o) => o.results.length,
});
