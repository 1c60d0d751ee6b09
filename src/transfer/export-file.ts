/**
 * Export files: `json` is one document `{format, exportedAt, count, entries: [...]}` with one entry
 * per line (readable, diffable, streamable); `jsonl` is one entry per line. `.gz` when compressed.
 * Written atomically with 0600, and identified by the sha256 of the bytes on disk.
 */
import { createHash } from "node:crypto";
import { gzipSync } from "node:zlib";
import type { Entry } from "../domain/entry.js";
import { writeFileAtomic } from "../store/files.js";

export const EXPORT_FORMAT_ID = "memory-bank-export";

export const EXPORT_FORMATS = ["json", "jsonl"] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export function serializeEntries(
  entries: readonly Entry[],
  format: ExportFormat,
  exportedAt: string,
): Buffer[] {
  const chunks: string[] = [];
  if (format === "jsonl") {
    for (const e of entries) chunks.push(`${JSON.stringify(e)}\n`);
  } else {
    chunks.push(
      `{"format":"${EXPORT_FORMAT_ID}","version":1,"exportedAt":"${exportedAt}","count":${entries.length},"entries":[`,
    );
    entries.forEach((e, i) => {
      chunks.push(`${i === 0 ? "\n" : ",\n"}${JSON.stringify(e)}`);
    });
    chunks.push("\n]}\n");
  }
  // Join in ~1 MiB buffers: a million tiny buffers would cost more than the data.
  const out: Buffer[] = [];
  let batch: string[] = [];
  let size = 0;
  for (const c of chunks) {
    batch.push(c);
    size += c.length;
    if (size >= 1 << 20) {
      out.push(Buffer.from(batch.join(""), "utf8"));
      batch = [];
      size = 0;
    }
  }
  if (batch.length) out.push(Buffer.from(batch.join(""), "utf8"));
  return out;
}

export interface WrittenFile {
  bytes: number;
  sha256: string;
}

export async function writeExportFile(
  file: string,
  entries: readonly Entry[],
  format: ExportFormat,
  compress: boolean,
): Promise<WrittenFile> {
  let buffers = serializeEntries(entries, format, new Date().toISOString());
  if (compress) buffers = [gzipSync(Buffer.concat(buffers))];
  const hash = createHash("sha256");
  for (const b of buffers) hash.update(b);
  const bytes = await writeFileAtomic(file, buffers);
  return { bytes, sha256: hash.digest("hex") };
}
