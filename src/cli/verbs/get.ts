import { getOperation } from "../../service/operations/get.js";
import { pairs } from "../render/table.js";
import { defineVerb } from "../verb.js";

export default defineVerb({
  name: "get",
  description: "print one entry (exit 1 when there is none)",
  operation: getOperation,
  readOnly: true,
  configure: (c) => c.argument("<key>").option("--namespace <ns>", "namespace", "default"),
  input: ([key], o) => ({ key, namespace: o.namespace }),
  table: (r) =>
    r.entry
      ? pairs([
          ["key", r.entry.key],
          ["namespace", r.entry.namespace],
          ["type", r.entry.type],
          ["tags", r.entry.tags.join(", ")],
          ["version", r.entry.version],
          ["created", r.entry.createdAt],
          ["updated", r.entry.updatedAt],
          ["expires", r.expiresAt ?? "never"],
          ["metadata", JSON.stringify(r.entry.metadata)],
          [
            "value",
            typeof r.entry.value === "string" ? r.entry.value : JSON.stringify(r.entry.value, null, 2),
          ],
        ])
      : "",
  failure: (r, { input }) =>
    r.found ? undefined : `no entry '${input.key}' in namespace '${input.namespace ?? "default"}'`,
});
