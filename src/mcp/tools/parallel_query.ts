import { ParallelQueryInputShape, ParallelQueryOutputShape } from "../../domain/entry.js";
import { brief, defineTool } from "../tool.js";

export default defineTool({
  name: "parallel_query",
  title: "Run many searches at once",
  description:
    "Run up to 100 searches concurrently in one call; with namespaces, each search runs in each namespace separately. Each query is a search string or a full memory_query input. Example: {queries: ['database migrations', 'login flow'], namespaces: ['default', 'tasks'], limit: 3}",
  inputSchema: ParallelQueryInputShape,
  outputSchema: ParallelQueryOutputShape,
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
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
