import path from "node:path";
import { Option } from "commander";
import { exportOperation } from "../../service/operations/export.js";
import { EXPORT_FORMATS } from "../../transfer/export-file.js";
import { list } from "../options.js";
import { defineVerb } from "../verb.js";

export default defineVerb({
  name: "export",
  description: "write entries to FILE (inside the project) as json or jsonl, optionally gzipped",
  operation: exportOperation,
  progress: { label: "exporting", done: "exported" },
  configure: (c) =>
    c
      .argument("<file>")
      .option("--namespace <ns>", "only this namespace")
      .option("--namespaces <a,b>", "only these namespaces", list)
      .addOption(
        new Option("--format <format>", "file format (default: jsonl for a .jsonl name)").choices(
          EXPORT_FORMATS,
        ),
      )
      .option("--compress", "gzip the file (default for a .gz name; adds .gz)")
      .option("--include-expired", "also export expired entries not yet cleaned up"),
  input: ([file = ""], o) => {
    const namespaces = [...(o.namespace ? [o.namespace] : []), ...(o.namespaces ?? [])];
    return {
      path: path.resolve(file),
      ...(namespaces.length ? { namespaces } : {}),
      ...(o.format ? { format: o.format } : {}),
      ...(o.compress ? { compress: true } : {}),
      includeExpired: o.includeExpired ?? false,
    };
  },
});
