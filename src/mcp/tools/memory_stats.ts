import { statsOperation } from "../../service/operations/stats.js";
import { defineTool } from "../tool.js";

export default defineTool({
  operation: statsOperation,
  title: "Memory statistics",
  description:
    "How much is stored: live entries per namespace and type, expired entries not yet cleaned up, bytes on disk (snapshot, journal, backups), search index terms, query cache hit rate, and the processes (agents' servers, CLI runs) using the store now. Example: {namespace: 'tasks', verbose: true}",
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
});
