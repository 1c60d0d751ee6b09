import { analyzeOperation } from "../../service/operations/analyze.js";
import { number } from "../options.js";
import { bytes, table } from "../render/table.js";
import { defineVerb } from "../verb.js";

export default defineVerb({
  name: "analyze",
  description: "namespace sizes, largest entries, duplicate values, tag usage, growth over time",
  operation: analyzeOperation,
  readOnly: true,
  configure: (c) =>
    c
      .option("--namespace <ns>", "only this namespace")
      .option("--top <n>", "rows per section (default 10; growth: the last 60 days)", number),
  input: (_, o) => ({
    ...(o.namespace ? { namespace: o.namespace } : {}),
    ...(o.top !== undefined ? { top: o.top } : {}),
  }),
  table: (r) =>
    [
      `${r.entries} live entries, ${bytes(r.valueBytes)} of values`,
      "",
      table(
        ["namespace", "entries", "value bytes", "share"],
        r.namespaces.map((n) => [n.namespace, n.entries, n.valueBytes, `${(n.share * 100).toFixed(1)}%`]),
      ),
      "",
      "Largest entries:",
      table(
        ["namespace", "key", "value bytes"],
        r.largest.map((x) => [x.namespace, x.key, x.valueBytes]),
      ),
      "",
      "Duplicate values:",
      r.duplicates.length
        ? table(
            ["copies", "value bytes", "keys"],
            r.duplicates.map((d) => [d.count, d.valueBytes, d.keys.join(", ")]),
          )
        : "none",
      "",
      "Tags:",
      r.tags.length
        ? table(
            ["tag", "entries"],
            r.tags.map((t) => [t.tag, t.count]),
          )
        : "none",
      "",
      "Growth (entries created per day):",
      r.growth.length
        ? table(
            ["day", "created", "total"],
            r.growth.map((x) => [x.day, x.created, x.total]),
          )
        : "none",
    ].join("\n"),
});
