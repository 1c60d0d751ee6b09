import { concurrentExportOperation } from "../../service/operations/concurrent-export.js";
import { list } from "../options.js";
import { table } from "../render/table.js";
import { defineVerb } from "../verb.js";

export default defineVerb({
  name: "concurrent-export",
  description:
    "back up every namespace into memory/backups/NAME/ (one file each, plus a manifest with sha256s)",
  operation: concurrentExportOperation,
  progress: { label: "backing up", done: "namespaces written" },
  configure: (c) =>
    c
      .argument("<name>")
      .option("--compress", "gzip each file")
      .option("--namespaces <a,b>", "only these namespaces", list),
  input: ([name], o, g) => ({
    name,
    compress: o.compress ?? false,
    // The global --parallel: write the namespaces concurrently.
    parallel: g.parallel ?? false,
    ...(o.namespaces ? { namespaces: o.namespaces } : {}),
  }),
  table: (r) =>
    [
      table(
        ["namespace", "file", "entries", "bytes", "sha256"],
        r.manifest.files.map((f) => [f.namespace, f.file, f.entries, f.bytes, f.sha256.slice(0, 16)]),
      ),
      concurrentExportOperation.render(r),
    ].join("\n"),
});
