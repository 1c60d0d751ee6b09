import { ImportInputShape, ImportOutputShape } from "../../domain/entry.js";
import { importFrom } from "../../transfer/importer.js";
import { defineTool } from "../tool.js";

export default defineTool({
  name: "import",
  title: "Import memories from a file",
  description:
    "Import entries from a file or backup folder inside the project: our json/jsonl exports (also .gz), a claude-flow-data.json snapshot copied from another project, the official memory server's memory.jsonl (entities and relations become entries keyed entity/<name> and relation/<from>/<type>/<to>), or a memory/backups/NAME folder (every sha256 verified first). The format is detected. Bad records are reported by position and the rest imported; already-expired entries are skipped. Sends progress notifications when the request carries a progressToken. Example: {path: 'memory/exports/backup.json', onConflict: 'skip'}",
  inputSchema: ImportInputShape,
  outputSchema: ImportOutputShape,
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
  run: (bank, input, ctx) => importFrom(bank, input, ctx),
  render: (o) =>
    [
      `Imported from ${o.path} (${o.format}): read ${o.read}, stored ${o.stored} new, updated ${o.updated}, skipped ${o.skipped}, expired ${o.expired}, failed ${o.failed}${o.verified ? `; ${o.verified} backup file(s) verified` : ""}.`,
      ...o.errors.slice(0, 20).map((e) => `- record ${e.index}${e.key ? ` ('${e.key}')` : ""}: ${e.message}`),
      ...(o.errors.length > 20 ? [`- ... and ${o.errors.length - 20} more errors`] : []),
    ].join("\n"),
  items: (o) => o.read,
});
