import { batchStoreOperation } from "../../service/operations/batch-store.js";
import { defineTool } from "../tool.js";

export default defineTool({
  operation: batchStoreOperation,
  title: "Store many memories",
  description:
    "Store many entries in one call, written in parallel chunks; much faster than many memory_store calls. One bad entry is reported by index and the rest are stored, unless atomic is true (all or nothing). onConflict decides what happens to existing keys. Sends progress notifications when the request carries a progressToken. Example: {entries: [{key: 'task/1', value: 'done'}, {key: 'task/2', value: 'open'}], namespace: 'tasks'}",
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: false },
});
