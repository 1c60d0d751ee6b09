import { Option } from "commander";
import { ON_CONFLICT } from "../../domain/entry.js";
import { batchStoreFileOperation } from "../../service/operations/batch-store-file.js";
import { defineVerb } from "../verb.js";

export default defineVerb({
  name: "batch-store",
  description: "store the entries of FILE (a JSON array, {entries: [...]}, or JSON lines) in parallel chunks",
  operation: batchStoreFileOperation,
  progress: { label: "storing", done: "stored" },
  // Its FILE is read relative to the command's directory.
  attach: false,
  configure: (c) =>
    c
      .argument("<file>")
      .option("--namespace <ns>", "namespace for entries that name none (default 'default')")
      .addOption(new Option("--on-conflict <mode>", "when a key exists").choices(ON_CONFLICT))
      .option("--atomic", "all or nothing"),
  input: ([file], o) => ({
    file,
    ...(o.namespace ? { namespace: o.namespace } : {}),
    ...(o.onConflict ? { onConflict: o.onConflict } : {}),
    ...(o.atomic ? { atomic: true } : {}),
  }),
  failure: (r) => {
    const total = r.stored + r.updated + r.skipped + r.failed;
    return r.failed > 0 ? `${r.failed} of ${total} entries failed (listed above)` : undefined;
  },
});
