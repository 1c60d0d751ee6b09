import { importOperation } from "../../service/operations/import.js";
import { defineTool } from "../tool.js";

export default defineTool({
  operation: importOperation,
  title: "Import memories from a file",
  description:
    "Import entries from a file or backup folder inside the project: our json/jsonl exports (also .gz), a claude-flow-data.json snapshot copied from another project, the official memory server's memory.jsonl (entities and relations become entries keyed entity/<name> and relation/<from>/<type>/<to>), or a memory/backups/NAME folder (every sha256 verified first). The format is detected. Bad records are reported by position and the rest imported; already-expired entries are skipped. Sends progress notifications when the request carries a progressToken. Example: {path: 'memory/exports/backup.json', onConflict: 'skip'}",
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
});
