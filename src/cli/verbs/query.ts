import { type Command, Option } from "commander";
import { MEMORY_TYPES } from "../../domain/entry.js";
import { queryOperation, SEARCH_MODES } from "../../service/operations/query.js";
import { list, number } from "../options.js";
import { resultsTable } from "../render/results.js";
import { defineVerb, type Flags } from "../verb.js";

/** The filters `query` and `list` share, as the memory_query tool has them. */
export function filterOptions(c: Command): Command {
  return c
    .option("--namespace <ns>", "one namespace")
    .option("--namespaces <a,b>", "several namespaces", list)
    .option("--prefix <prefix>", "only keys starting with this prefix")
    .option("--tags <a,b>", "only entries carrying all these tags", list)
    .addOption(new Option("--type <type>", "only this memory type").choices(MEMORY_TYPES))
    .option("--since <time>", "only entries updated at or after this time (ISO 8601)")
    .option("--until <time>", "only entries updated at or before this time (ISO 8601)")
    .option("--limit <n>", "results per page (1..1000)", number, 10)
    .option("--cursor <cursor>", "the next page: the cursor the previous page printed")
    .option("--max-tokens <n>", "token budget of the answer (default 8000; UTF-8 bytes / 3)", number)
    .option("--include-expired", "also show expired entries not yet cleaned up")
    .option("--full", "print values whole instead of cut to 60 characters");
}

export function filterInput(o: Flags): Record<string, unknown> {
  return {
    ...(o.namespace ? { namespace: o.namespace } : {}),
    ...(o.namespaces ? { namespaces: o.namespaces } : {}),
    ...(o.prefix !== undefined ? { keyPrefix: o.prefix } : {}),
    ...(o.tags ? { tags: o.tags } : {}),
    ...(o.type ? { type: o.type } : {}),
    ...(o.since ? { since: o.since } : {}),
    ...(o.until ? { until: o.until } : {}),
    ...(o.cursor ? { cursor: o.cursor } : {}),
    ...(o.includeExpired ? { includeExpired: true } : {}),
    limit: o.limit,
    ...(o.maxTokens !== undefined ? { maxTokens: o.maxTokens } : {}),
  };
}

export const FILTER_FLAGS = { keyPrefix: "--prefix", since: "--since", until: "--until", cursor: "--cursor" };

export default defineVerb({
  name: "query",
  description: "search entries: ranked, typo-tolerant full text over keys, values and tags",
  operation: queryOperation,
  readOnly: true,
  flagNames: FILTER_FLAGS,
  configure: (c) =>
    filterOptions(c.argument("<search>")).addOption(
      new Option("--mode <mode>", "search mode").choices(SEARCH_MODES),
    ),
  input: ([search], o) => ({
    ...(search ? { query: search } : {}),
    ...filterInput(o),
    ...(o.mode ? { mode: o.mode } : {}),
  }),
  table: (r, { input, flags }) =>
    resultsTable(r, {
      scored: Boolean(input.query),
      full: flags.full ?? false,
      next: (cursor) => `--cursor ${cursor}`,
    }),
});
