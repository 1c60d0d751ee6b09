import { deleteOperation } from "../../service/operations/delete.js";
import { list } from "../options.js";
import { defineVerb } from "../verb.js";

export default defineVerb({
  name: "delete",
  description: "delete one key, or every key with --prefix and/or --tags",
  operation: deleteOperation,
  flagNames: { keyPrefix: "--prefix", tags: "--tags" },
  configure: (c) =>
    c
      .argument("[key]")
      .option("--namespace <ns>", "namespace", "default")
      .option("--prefix <prefix>", "delete every key starting with this prefix")
      .option("--tags <a,b>", "delete entries carrying all these tags", list)
      .option("--dry-run", "only list what would be deleted"),
  input: ([key], o) => ({
    ...(key !== undefined ? { key } : {}),
    ...(o.prefix !== undefined ? { keyPrefix: o.prefix } : {}),
    ...(o.tags ? { tags: o.tags } : {}),
    namespace: o.namespace,
    dryRun: o.dryRun ?? false,
  }),
});
