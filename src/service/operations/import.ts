/**
 * import / `memory-bank import`: entries read from a file or backup folder inside the project
 * (our exports, a snapshot, the official memory server's graph, a concurrent-export folder) and
 * stored through batch_store's machinery. The formats are read by transfer/importer.ts.
 */
import { z } from "zod";
import { NamespaceSchema, OnConflictSchema } from "../../domain/entry.js";
import { IMPORT_FORMATS, importFrom } from "../../transfer/importer.js";
import { BatchStoreOutputSchema } from "./batch-store.js";
import { defineOperation, itemErrorLines } from "./operation.js";

export const ImportFormatSchema = z.enum(IMPORT_FORMATS, {
  error: (iss) => `format '${String(iss.input)}' is not one of: ${IMPORT_FORMATS.join(", ")}`,
});

export const ImportInputSchema = z.object({
  path: z
    .string({ error: "path must be a string" })
    .min(1, { error: "path is empty: give a file inside the project, e.g. memory/exports/backup.json" })
    .max(4096)
    .describe(
      "File or backup folder inside the project: our json/jsonl exports (.gz too), a claude-flow-data.json snapshot, the official memory server's memory.jsonl, or a memory/backups/NAME folder.",
    ),
  namespace: NamespaceSchema.optional().describe(
    "Put every imported entry into this namespace (default: each entry's own namespace, else 'default').",
  ),
  defaultNamespace: NamespaceSchema.optional().describe(
    "Namespace for entries that name none (default 'default'); namespace, when given, wins.",
  ),
  onConflict: OnConflictSchema.optional().describe(
    "When a key exists: overwrite (default), skip, or error (reported per entry).",
  ),
  format: ImportFormatSchema.optional().describe(
    "auto (default: detected from the content), json, jsonl, snapshot, mcp-memory (the official memory server's JSONL), backup (a concurrent-export folder).",
  ),
});
export type ImportInput = z.infer<typeof ImportInputSchema>;

export const ImportOutputSchema = z.object({
  path: z.string().describe("What was read, relative to the project directory."),
  format: ImportFormatSchema.exclude(["auto"]),
  read: z.number().int().describe("records read from the source"),
  expired: z.number().int().describe("entries already past their TTL or retention, not imported"),
  verified: z.number().int().describe("backup files whose sha256 matched the manifest (0 for single files)"),
  ...BatchStoreOutputSchema.shape,
});
export type ImportOutput = z.infer<typeof ImportOutputSchema>;

export const importOperation = defineOperation({
  name: "import",
  input: ImportInputSchema,
  output: ImportOutputSchema,
  run: (bank, input, ctx) => importFrom(bank, input, ctx),
  render: (o) =>
    [
      `Imported from ${o.path} (${o.format}): read ${o.read}, stored ${o.stored} new, updated ${o.updated}, skipped ${o.skipped}, expired ${o.expired}, failed ${o.failed}${o.verified ? `; ${o.verified} backup file(s) verified` : ""}.`,
      ...itemErrorLines(o.errors, "record"),
    ].join("\n"),
  items: (o) => o.read,
});
