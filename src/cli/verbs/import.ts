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
  progress: { label: "importing", done: "stored" },
  configure: (c) =>
    c
      .argument("<file>")
      .option("--namespace <ns>", "namespace for entries that name none (default 'default')")
      .option("--into <ns>", "put every entry into this namespace, whatever it names")
      .addOption(new Option("--on-conflict <mode>", "when a key exists").choices(ON_CONFLICT))
      .addOption(
        new Option("--format <format>", "source format (default: detected)").choices(IMPORT_FORMATS),
      ),
  input: ([file = ""], o) => ({
    path: path.resolve(file),
    ...(o.namespace ? { defaultNamespace: o.namespace } : {}),
    ...(o.into ? { namespace: o.into } : {}),
    ...(o.onConflict ? { onConflict: o.onConflict } : {}),
    ...(o.format ? { format: o.format } : {}),
  }),
  failure: (r) => (r.failed > 0 ? `${r.failed} of ${r.read} records failed (listed above)` : undefined),
});
