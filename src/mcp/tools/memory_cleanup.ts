import { CleanupInputShape, CleanupOutputShape } from "../../domain/entry.js";
import { cleanup } from "../../service/operations/cleanup.js";
import { defineTool } from "../tool.js";

export default defineTool({
  name: "memory_cleanup",
  title: "Remove expired memories",
  description:
    "Remove entries past their TTL or their namespace's retentionPolicy (e.g. sessions 30d), namespaces in parallel. Namespaces with a 'permanent' policy are never touched. Expired entries are already invisible to queries; this frees the space. Use dryRun: true to see what would go. Example: {namespaces: ['sessions', 'tasks'], dryRun: true}",
  inputSchema: CleanupInputShape,
  outputSchema: CleanupOutputShape,
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
  run: (bank, input, ctx) => cleanup(bank, input, ctx),
  render: (o) =>
    [
      `${o.dryRun ? "Would remove" : "Removed"} ${o.removed} expired entr${o.removed === 1 ? "y" : "ies"} in ${o.tookMs} ms.`,
      ...o.namespaces.map((n) => `- ${n.namespace} (retention ${n.retention}): ${n.removed} of ${n.scanned}`),
      ...o.skipped.map((s) => `- ${s.namespace}: skipped (${s.reason})`),
    ].join("\n"),
  items: (o) => o.namespaces.reduce((n, x) => n + x.scanned, 0),
});
