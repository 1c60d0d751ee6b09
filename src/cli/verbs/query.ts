import { Option } from "commander";
import { MEMORY_TYPES } from "../../domain/entry.js";
import { brief } from "../../service/operations/operation.js";
import { queryOperation, SEARCH_MODES } from "../../service/operations/query.js";
import { list, number } from "../options.js";
import { table } from "../render/table.js";
import { defineVerb } from "../verb.js";

export default defineVerb({
  name: "query",
  description: "search entries: ranked, typo-tolerant full text over keys, values and tags",
  operation: queryOperation,
  configure: (c) =>
    c
      .argument("<search>")
      .option("--namespace <ns>", "one namespace")
      .option("--namespaces <a,b>", "several namespaces", list)
      .option("--tags <a,b>", "only entries carrying all these tags", list)
      .addOption(new Option("--type <type>", "only this memory type").choices(MEMORY_TYPES))
      .addOption(new Option("--mode <mode>", "search mode").choices(SEARCH_MODES))
      .option("--limit <n>", "results (1..1000)", number, 10)
      .option("--include-expired", "also show expired entries not yet cleaned up"),
  input: ([search], o) => ({
    query: search,
    ...(o.namespace ? { namespace: o.namespace } : {}),
    ...(o.namespaces ? { namespaces: o.namespaces } : {}),
    ...(o.tags ? { tags: o.tags } : {}),
    ...(o.type ? { type: o.type } : {}),
    ...(o.mode ? { mode: o.mode } : {}),
    ...(o.includeExpired ? { includeExpired: true } : {}),
    limit: o.limit,
  }),
  table: (r) =>
    r.results.length === 0
      ? "No entries matched."
      : table(
          ["namespace", "key", "score", "value"],
          r.results.map((x) => [x.namespace, x.key, Math.round(x.score * 1000) / 1000, brief(x.value, 60)]),
        ),
});
