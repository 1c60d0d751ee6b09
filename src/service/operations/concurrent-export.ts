/**
 * `memory-bank concurrent-export NAME`: a named backup, one file per namespace under
 * memory/backups/NAME/ with a manifest of sha256s (transfer/backup-folder.ts); `import` of the
 * folder restores it.
 */
import { z } from "zod";
import { NamespaceSchema } from "../../domain/entry.js";
import { ConcurrentExportResultSchema, concurrentExport } from "../../transfer/backup-folder.js";
import { defineOperation } from "./operation.js";

export const ConcurrentExportInputSchema = z.object({
  name: z.string().describe("The backup's name: a folder under memory/backups/."),
  compress: z.boolean().optional().describe("gzip each file."),
  parallel: z.boolean().optional().describe("Write the namespaces concurrently (batchtools.maxConcurrent)."),
  namespaces: z.array(NamespaceSchema).max(1000).optional().describe("Only these namespaces (default: all)."),
});

export const concurrentExportOperation = defineOperation({
  name: "concurrent-export",
  input: ConcurrentExportInputSchema,
  output: ConcurrentExportResultSchema,
  run: (bank, { name, ...options }, ctx) => concurrentExport(bank, name, { ...options, ...ctx }),
  render: (r) =>
    `Backup '${r.name}': ${r.manifest.total} entries in ${r.manifest.files.length} file(s) under ${r.dir} (${r.tookMs} ms); restore with: memory-bank import ${r.dir}`,
  items: (r) => r.manifest.total,
});
