import path from "node:path";
import { Option } from "commander";
import { ON_CONFLICT } from "../../domain/entry.js";
import { importOperation } from "../../service/operations/import.js";
import { IMPORT_FORMATS } from "../../transfer/importer.js";
import { defineVerb } from "../verb.js";

export default defineVerb({
  name: "import",
  description:
    "import a file or backup folder: our exports (json, jsonl, .gz), a snapshot, the memory server's JSONL",
  operation: importOperation,
  progress: "import",
  configure: (c) =>
    c
      .argument("<file>")
      .option("--namespace <ns>", "put every entry into this namespace")
      .addOption(new Option("--on-conflict <mode>", "when a key exists").choices(ON_CONFLICT))
      .addOption(new Option("--format <format>", "source format (default: detected)").choices(IMPORT_FORMATS))
      .option("--parallel", "write chunks concurrently (batchtools)"),
  overrides: (o) => (o.parallel ? { batchtools: { enabled: true } } : {}),
  input: ([file = ""], o) => ({
    path: path.resolve(file),
    ...(o.namespace ? { namespace: o.namespace } : {}),
    ...(o.onConflict ? { onConflict: o.onConflict } : {}),
    ...(o.format ? { format: o.format } : {}),
  }),
  failure: (r) => (r.failed > 0 ? `${r.failed} of ${r.read} records failed (listed above)` : undefined),
});
