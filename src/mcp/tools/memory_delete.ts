import { DeleteInputShape, DeleteOutputShape } from "../../domain/entry.js";
import { deleteEntries } from "../../service/operations/delete.js";
import { defineTool } from "../tool.js";

export default defineTool({
  name: "memory_delete",
  title: "Delete memories",
  description:
    "Delete entries of one namespace (default 'default'): one key, or every key with a prefix and/or carrying all given tags. Use dryRun: true first to see what would go. Deleted entries cannot be recovered except from an export or backup. Example: {keyPrefix: 'task/', namespace: 'tasks', dryRun: true}",
  inputSchema: DeleteInputShape,
  outputSchema: DeleteOutputShape,
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
  run: (bank, input) => deleteEntries(bank, input),
  render: (o) =>
    `${o.dryRun ? "Would delete" : "Deleted"} ${o.deleted} entr${o.deleted === 1 ? "y" : "ies"} from '${o.namespace}'${
      o.keys.length ? `: ${o.keys.slice(0, 50).join(", ")}${o.deleted > 50 ? ", …" : ""}` : "."
    }`,
  items: (o) => o.deleted,
});
