import { queryOperation } from "../../service/operations/query.js";
import { defineTool } from "../tool.js";

export default defineTool({
  operation: queryOperation,
  title: "Search memories",
  description:
    "Find memories. `query` runs a ranked full-text search over keys, values and tags that tolerates typos (mode hybrid); `key` is an exact lookup and `keyPrefix` lists keys by prefix; with neither, lists the newest entries. Filter by namespace(s), tags, type and time. Page with nextCursor. Example: {query: 'how do we authenticate the CLI', limit: 5}",
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
});
