import { queryOperation } from "../../service/operations/query.js";
import { resultsTable } from "../render/results.js";
import { defineVerb } from "../verb.js";
import { FILTER_FLAGS, filterInput, filterOptions } from "./query.js";

/** `list`: memory_query without search words, newest first, through the same filters as `query`. */
export default defineVerb({
  name: "list",
  description: "list entries, most recently updated first: filter by namespace, prefix, tags, type, time",
  operation: queryOperation,
  readOnly: true,
  flagNames: FILTER_FLAGS,
  configure: filterOptions,
  input: (_, o) => filterInput(o),
  table: (r, { flags }) =>
    resultsTable(r, { scored: false, full: flags.full ?? false, next: (cursor) => `--cursor ${cursor}` }),
});
