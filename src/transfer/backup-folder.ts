/**
 * Named backups (`concurrent-export NAME`): one JSONL file per namespace (gzipped with compress)
 * under memory/backups/NAME/, written concurrently, plus a manifest with each file's entry count,
 * size and sha256. The manifest is written last, so a folder without one is an unfinished backup.
 * `import` of the folder verifies every sha256 before it restores anything.
 */
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { rm } from "node:fs/promises";
import path from "node:path";
import pLimit from "p-limit";
import { z } from "zod";
import { type Entry, NamespaceSchema } from "../domain/entry.js";
import { errorMessage, MemoryError } from "../domain/errors.js";
import type { MemoryBank } from "../service/bank.js";
import type { OperationContext } from "../service/operations/operation.js";
import { ensureDir, writeFileAtomic } from "../store/files.js";
import { writeExportFile } from "./export-file.js";
import { readRegularFile } from "./source-file.js";

export const MANIFEST_FILE = "manifest.json";
const FILE_NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,200}$/;

export const BackupManifestSchema = z.object({
  format: z.literal("memory-bank-backup"),
  version: z.literal(1),
  name: z.string(),
  createdAt: z.string(),
  compress: z.boolean(),
  total: z.number().int().min(0),
  files: z.array(
    z.object({
      namespace: z.string(),
      // A bare file name: a manifest must never point outside its own folder.
      file: z.string().regex(FILE_NAME_RE),
      entries: z.number().int().min(0),
      bytes: z.number().int().min(0),
      sha256: z.string().regex(/^[0-9a-f]{64}$/),
    }),
  ),
});
export type BackupManifest = z.infer<typeof BackupManifestSchema>;

export const BackupNameSchema = NamespaceSchema.describe("Backup name: a folder under memory/backups/");

export interface ConcurrentExportOptions extends OperationContext {
  compress?: boolean;
  /** Write namespaces concurrently (batchtools.maxConcurrent at once); otherwise one at a time. */
  parallel?: boolean;
  namespaces?: string[];
}

export const ConcurrentExportResultSchema = z.object({
  name: z.string(),
  dir: z.string().describe("relative to the project directory"),
  manifest: BackupManifestSchema,
  tookMs: z.number(),
});
export type ConcurrentExportResult = z.infer<typeof ConcurrentExportResultSchema>;

export async function concurrentExport(
  bank: MemoryBank,
  name: string,
  options: ConcurrentExportOptions = {},
): Promise<ConcurrentExportResult> {
  const started = performance.now();
  const parsed = BackupNameSchema.safeParse(name);
  if (!parsed.success) {
    throw new MemoryError(
      "INVALID_INPUT",
      `backup ${parsed.error.issues[0]?.message ?? "name is invalid"}`.replace("namespace", "name"),
    );
  }
  const base = bank.layout.base;
  if (name.startsWith(`${base}.`)) {
    throw new MemoryError(
      "INVALID_INPUT",
      `backup name '${name}' is reserved for the store's own backups (compaction names its files '${base}.<generation>.json' and '.journal' in the same folder): choose a name that does not start with '${base}.'`,
    );
  }
  const dir = bank.layout.namedBackup(name);
  if (existsSync(dir)) {
    throw new MemoryError(
      "ALREADY_EXISTS",
      `backup '${name}' already exists (${path.relative(bank.projectDir, dir)}): choose another name or remove that folder`,
    );
  }
  const read = bank.read();
  const wanted = options.namespaces?.length ? new Set(options.namespaces) : undefined;
  // Snapshot the entries first: the files then describe one moment even while others write.
  const groups = new Map<string, Entry[]>();
  for (const ns of read.namespaces()) {
    if (wanted && !wanted.has(ns)) continue;
    const live = [...read.live(ns)];
    if (live.length)
      groups.set(
        ns,
        live.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)),
      );
  }
  await ensureDir(dir);
  const compress = options.compress ?? false;
  const limit = pLimit(options.parallel ? bank.config.batchtools.maxConcurrent : 1);
  const total = [...groups.values()].reduce((n, g) => n + g.length, 0);
  let done = 0;
  options.onProgress?.(0, total);
  try {
    const files = await Promise.all(
      [...groups.entries()].map(([namespace, entries]) =>
        limit(async () => {
          const file = `${namespace}.jsonl${compress ? ".gz" : ""}`;
          const written = await writeExportFile(path.join(dir, file), entries, "jsonl", compress);
          done += entries.length;
          options.onProgress?.(done, total);
          return { namespace, file, entries: entries.length, ...written };
        }),
      ),
    );
    const manifest: BackupManifest = {
      format: "memory-bank-backup",
      version: 1,
      name,
      createdAt: new Date().toISOString(),
      compress,
      total,
      files,
    };
    await writeFileAtomic(path.join(dir, MANIFEST_FILE), [`${JSON.stringify(manifest, null, 2)}\n`]);
    return {
      name,
      dir: path.relative(bank.projectDir, dir),
      manifest,
      tookMs: Math.round((performance.now() - started) * 1000) / 1000,
    };
  } catch (error) {
    // A half-written backup must not be mistaken for a good one later.
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}

/** Reads a backup folder's manifest and checks every file against its sha256; returns the files' bytes. */
export async function readBackup(dir: string): Promise<{ manifest: BackupManifest; files: Buffer[] }> {
  const manifestPath = path.join(dir, MANIFEST_FILE);
  let raw: string;
  try {
    raw = (await readRegularFile(manifestPath, manifestPath)).toString("utf8");
  } catch (error) {
    if (error instanceof MemoryError) throw error; // not a regular file
    throw new MemoryError(
      "NOT_FOUND",
      `${dir} has no ${MANIFEST_FILE}: it is not a finished concurrent-export backup (or the folder is incomplete)`,
    );
  }
  let manifest: BackupManifest;
  try {
    manifest = BackupManifestSchema.parse(JSON.parse(raw));
  } catch (error) {
    throw new MemoryError(
      "CORRUPT_DATA",
      `${manifestPath} is not a valid backup manifest: ${errorMessage(error).slice(0, 300)}`,
    );
  }
  const files: Buffer[] = [];
  for (const f of manifest.files) {
    const p = path.join(dir, f.file);
    const buf = await readRegularFile(p, p).catch((error) => {
      if (error instanceof MemoryError) throw error; // not a regular file
      throw new MemoryError(
        "CORRUPT_DATA",
        `backup file ${p} listed in the manifest is missing: nothing was imported`,
      );
    });
    const sha = createHash("sha256").update(buf).digest("hex");
    if (sha !== f.sha256) {
      throw new MemoryError(
        "CORRUPT_DATA",
        `backup file ${p} does not match its sha256 in the manifest (damaged or edited): nothing was imported`,
      );
    }
    files.push(buf);
  }
  return { manifest, files };
}
