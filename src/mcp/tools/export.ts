import { exportOperation } from "../../service/operations/export.js";
import { defineTool } from "../tool.js";

export default defineTool({
  operation: exportOperation,
  title: "Export memories to a file",
  description:
    "Write all entries (or some namespaces) to a file inside the project directory, atomically, as json or jsonl, optionally gzipped. Default path: memory/exports/memory-<time>.json. Paths outside the project are refused. Example: {path: 'memory/exports/tasks.jsonl', namespaces: ['tasks'], format: 'jsonl'}",
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: false },
});
