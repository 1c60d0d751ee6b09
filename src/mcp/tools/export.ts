import { ExportInputShape, ExportOutputShape } from "../../domain/entry.js";
import { defineTool } from "../tool.js";

export default defineTool({
  name: "export",
  title: "Export memories to a file",
  description:
    "Write all entries (or some namespaces) to a file inside the project directory, atomically, as json or jsonl, optionally gzipped. Default path: memory/exports/memory-<time>.json. Paths outside the project are refused. Example: {path: 'memory/exports/tasks.jsonl', namespaces: ['tasks'], format: 'jsonl'}",
  inputSchema: ExportInputShape,
  outputSchema: ExportOutputShape,
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  run: (bank, input) => bank.exportTo(input),
  render: (o) => `Exported ${o.entries} entries to ${o.path} (${o.bytes} bytes, sha256 ${o.sha256}).`,
});
