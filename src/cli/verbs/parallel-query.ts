import { brief } from "../../service/operations/operation.js";
import { parallelQueryOperation } from "../../service/operations/parallel-query.js";
import { readQueries } from "../../transfer/queries-file.js";
import { list, number } from "../options.js";
import { table } from "../render/table.js";
import { defineVerb } from "../verb.js";

export default defineVerb({
  name: "parallel-query",
  description:
    "run many searches at once: FILE holds a JSON array or one search per line; otherwise the text is the search",
  operation: parallelQueryOperation,
  readOnly: true,
  configure: (c) =>
    c
      .argument("<file-or-search>")
      .option("--namespaces <a,b>", "run each search in each of these namespaces", list)
      .option("--limit <n>", "results per search", number, 5)
      .option("--max-tokens <n>", "token budget of the whole answer (default 8000)", number),
  input: async ([arg = ""], o) => ({
    queries: await readQueries(arg),
    ...(o.namespaces ? { namespaces: o.namespaces } : {}),
    limit: o.limit,
    ...(o.maxTokens !== undefined ? { maxTokens: o.maxTokens } : {}),
  }),
  table: (r) =>
    [
      table(
        ["query", "namespace", "hits", "top key", "top value"],
        r.results.map((x) => [
          x.query,
          x.namespace ?? "*",
          x.error ? `error: ${x.error}` : x.results.length,
          x.results[0]?.key,
          x.results[0] ? brief(x.results[0].value, 40) : "",
        ]),
      ),
      `${r.results.length} search(es) in ${r.tookMs} ms`,
    ].join("\n"),
});
