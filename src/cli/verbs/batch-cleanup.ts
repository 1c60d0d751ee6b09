import { batchCleanupOperation } from "../../service/operations/batch-cleanup.js";
import { cleanupSummary } from "../../service/operations/cleanup.js";
import { list } from "../options.js";
import { type Cell, table } from "../render/table.js";
import { defineVerb } from "../verb.js";

export default defineVerb({
  name: "batch-cleanup",
  description: "remove entries past their TTL or retention; RETENTION-FILE overrides policies for this run",
  operation: batchCleanupOperation,
  progress: { label: "cleaning up", done: "namespaces cleaned" },
  // Its RETENTION-FILE is read relative to the command's directory.
  attach: false,
  configure: (c) =>
    c
      .argument("[retention-file]")
      .option("--namespaces <a,b>", "only these namespaces", list)
      .option("--dry-run", "only report what would be removed"),
  input: ([file], o) => ({
    ...(file ? { retentionFile: file } : {}),
    ...(o.namespaces ? { namespaces: o.namespaces } : {}),
    dryRun: o.dryRun ?? false,
  }),
  table: (r, { globals }) =>
    [
      table(
        ["namespace", "retention", "scanned", r.dryRun ? "would remove" : "removed"],
        [
          ...r.namespaces.map((n) => [n.namespace, n.retention, n.scanned, n.removed] as Cell[]),
          ...r.skipped.map((s) => [s.namespace, s.reason, null, null] as Cell[]),
        ],
      ),
      cleanupSummary(r),
      ...(globals.verbose ? r.namespaces.flatMap((n) => n.keys.map((k) => `  ${n.namespace}/${k}`)) : []),
    ].join("\n"),
});
