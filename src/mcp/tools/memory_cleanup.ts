import { cleanupOperation } from "../../service/operations/cleanup.js";
import { defineTool } from "../tool.js";

export default defineTool({
  operation: cleanupOperation,
  title: "Remove expired memories",
  description:
    "Remove entries past their TTL or their namespace's retentionPolicy (e.g. sessions 30d), namespaces in parallel. Namespaces with a 'permanent' policy are never touched. Expired entries are already invisible to queries; this frees the space. Use dryRun: true to see what would go. Example: {namespaces: ['sessions', 'tasks'], dryRun: true}",
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
});
