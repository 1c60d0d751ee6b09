import { BatchStoreInputShape, BatchStoreOutputShape } from "../../domain/entry.js";
import { defineTool } from "../tool.js";

export default defineTool({
  name: "batch_store",
  title: "Store many memories",
  description:
    "Store many entries in one call, written in parallel chunks; much faster than many memory_store calls. One bad entry is reported by index and the rest are stored, unless atomic is true (all or nothing). onConflict decides what happens to existing keys. Sends progress notifications when the request carries a progressToken. Example: {entries: [{key: 'task/1', value: 'done'}, {key: 'task/2', value: 'open'}], namespace: 'tasks'}",
  inputSchema: BatchStoreInputShape,
  outputSchema: BatchStoreOutputShape,
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: false },
  run: (bank, input, ctx) => bank.batchStore(input, ctx),
  render: (o) =>
    [
      `Stored ${o.stored} new, updated ${o.updated}, skipped ${o.skipped}, failed ${o.failed}.`,
      ...o.errors.slice(0, 20).map((e) => `- entry ${e.index}${e.key ? ` ('${e.key}')` : ""}: ${e.message}`),
      ...(o.errors.length > 20 ? [`- ... and ${o.errors.length - 20} more errors`] : []),
    ].join("\n"),
  items: (o) => o.stored + o.updated + o.skipped + o.failed,
});
