import { deleteOperation } from "../../service/operations/delete.js";
import { defineTool } from "../tool.js";

export default defineTool({
  operation: deleteOperation,
  title: "Delete memories",
  description:
    "Delete entries of one namespace (default 'default'): one key, or every key with a prefix and/or carrying all given tags. Use dryRun: true first to see what would go. Deleted entries cannot be recovered except from an export or backup. Example: {keyPrefix: 'task/', namespace: 'tasks', dryRun: true}",
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
});
