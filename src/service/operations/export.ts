/**
 * export / `memory-bank export`: entries written to one file inside the project, atomically, as
 * json or jsonl, optionally gzipped. Unless told, the format and compression follow the file's
 * name (`.jsonl`, `.gz`); the store's own files and the config are never a target.
 */
import path from "node:path";
import { z } from "zod";
import { type Entry, NamespaceSchema } from "../../domain/entry.js";
import { ensureDir } from "../../store/files.js";
import { EXPORT_FORMATS, type ExportFormat, writeExportFile } from "../../transfer/export-file.js";
import { refuseStoreFiles, relativeToProject, resolveInsideProject } from "../../transfer/project-paths.js";
import { defineOperation } from "./operation.js";

export const ExportInputSchema = z.object({
  path: z
    .string()
    .min(1)
    .max(4096)
    .optional()
    .describe(
      "File to write, relative to the project directory (default memory/exports/<time>.json). A name ending in .jsonl or .gz chooses the format and compression unless they are given.",
    ),
  namespaces: z.array(NamespaceSchema).max(1000).optional().describe("Only these namespaces (default: all)."),
  format: z
    .enum(EXPORT_FORMATS, {
      error: (iss) => `format '${String(iss.input)}' is not one of: ${EXPORT_FORMATS.join(", ")}`,
    })
    .optional()
    .describe("json (one document, default) or jsonl (one entry per line)."),
  compress: z.boolean().optional().describe("gzip the file (adds .gz)."),
  includeExpired: z.boolean().optional().describe("Also export expired entries not yet cleaned up."),
});
export type ExportInput = z.infer<typeof ExportInputSchema>;

export const ExportOutputSchema = z.object({
  path: z.string().describe("The file written, relative to the project directory."),
  entries: z.number().int(),
  bytes: z.number().int(),
  sha256: z.string(),
});
export type ExportOutput = z.infer<typeof ExportOutputSchema>;

/** The format a file's name asks for: `x.jsonl` and `x.jsonl.gz` are JSON lines. */
export function formatOf(file: string | undefined): ExportFormat {
  return file && /\.jsonl(\.gz)?$/.test(file) ? "jsonl" : "json";
}

export const exportOperation = defineOperation({
  name: "export",
  input: ExportInputSchema,
  output: ExportOutputSchema,
  run: async (bank, input, ctx) => {
    const read = bank.read();
    const format = input.format ?? formatOf(input.path);
    const compress = input.compress ?? input.path?.endsWith(".gz") ?? false;
    const stamp = new Date().toISOString().replace(/[:.]/g, "-");
    let requested = input.path ?? path.join("memory", "exports", `memory-${stamp}.${format}`);
    if (compress && !requested.endsWith(".gz")) requested += ".gz";
    const file = resolveInsideProject(bank.projectDir, requested);
    refuseStoreFiles(file, { dataPath: bank.dataPath, configFile: bank.configFile });
    await ensureDir(path.dirname(file));
    const wanted = input.namespaces ? new Set(input.namespaces) : undefined;
    const entries: Entry[] = [];
    for (const e of input.includeExpired ? read.all() : read.live()) {
      if (wanted && !wanted.has(e.namespace)) continue;
      entries.push(e);
    }
    entries.sort((a, b) => (a.namespace === b.namespace ? cmp(a.key, b.key) : cmp(a.namespace, b.namespace)));
    // One atomic write: progress marks its start and its end, there is nothing in between to count.
    ctx.onProgress?.(0, entries.length);
    const written = await writeExportFile(file, entries, format, compress);
    ctx.onProgress?.(entries.length, entries.length);
    return { path: relativeToProject(bank.projectDir, file), entries: entries.length, ...written };
  },
  render: (o) => `Exported ${o.entries} entries to ${o.path} (${o.bytes} bytes, sha256 ${o.sha256}).`,
  items: (o) => o.entries,
});

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
