import { QueryInputShape, QueryOutputShape } from "../../domain/entry.js";
import { brief, defineTool } from "../tool.js";

export default defineTool({
  name: "memory_query",
  title: "Search memories",
  description:
    "Find memories. `query` runs a ranked full-text search over keys, values and tags that tolerates typos (mode hybrid); `key` is an exact lookup and `keyPrefix` lists keys by prefix; with neither, lists the newest entries. Filter by namespace(s), tags, type and time. Page with nextCursor. Example: {query: 'how do we authenticate the CLI', limit: 5}",
  inputSchema: QueryInputShape,
  outputSchema: QueryOutputShape,
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  run: (bank, input) => bank.search(input),
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
