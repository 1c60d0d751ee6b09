/**
 * import / `memory-bank import`: reads entries from our own exports (json, jsonl, .gz), a
 * claude-flow-data.json snapshot of another project, the JSONL file of the official
 * @modelcontextprotocol/server-memory (entities and relations become entries), or a
 * concurrent-export backup folder, and stores them through the same batch machinery as
 * batch_store: one bad record is reported by its position and the others are imported.
 * Identity fields (id, createdAt, updatedAt, expiresAt, version) are kept, so an imported entry
 * ages exactly as it did at its source; entries that are already expired are not imported.
 */
import { readFile, stat } from "node:fs/promises";
import path from "node:path";
import { gunzipSync } from "node:zlib";
import { readBackup } from "./backup.js";
import { MemoryError } from "./errors.js";
import { EXPORT_FORMAT_ID } from "./exchange.js";
import type { MemoryBank, ProgressOptions } from "./memory.js";
import type { BatchStoreOutput, ImportFormat, ImportInput, ImportOutput, ItemError } from "./model.js";
import { resolveInsideProject } from "./paths.js";
import { isExpired } from "./retention.js";

type Concrete = Exclude<ImportFormat, "auto">;

/** A record read from the source: an entry-like object, or why it could not be read. */
export type SourceRecord = { raw: Record<string, unknown> } | { error: string };

/** Items handed to one batchStore call: bounds memory and keeps progress moving on huge imports. */
const SLICE = 10_000;

/**
 * The most text one source may hold (after gunzip): about V8's longest string. Larger files are
 * refused up front, and a small gzip that would inflate past it (a zip bomb) stops at this size,
 * instead of exhausting the server's memory.
 */
export const MAX_SOURCE_BYTES = 512 * 1024 * 1024;

export async function importFrom(
  bank: MemoryBank,
  input: ImportInput,
  progress: ProgressOptions = {},
): Promise<ImportOutput> {
  const file = resolveInsideProject(bank.projectDir, input.path);
  const st = await stat(file).catch(() => undefined);
  if (!st) {
    throw new MemoryError(
      "NOT_FOUND",
      `path '${input.path}' does not exist: give a file or backup folder inside the project`,
    );
  }
  const wanted = input.format ?? "auto";
  let format: Concrete;
  let records: SourceRecord[];
  let verified = 0;
  if (st.isDirectory()) {
    if (wanted !== "auto" && wanted !== "backup") {
      throw new MemoryError(
        "INVALID_INPUT",
        `path '${input.path}' is a folder: only format "backup" (or auto) reads folders`,
      );
    }
    const backup = await readBackup(file);
    format = "backup";
    verified = backup.files.length;
    records = backup.files.flatMap((buf, i) =>
      parseLines(decompress(buf, backup.manifest.files[i]?.file ?? ""), "jsonl"),
    );
  } else {
    if (wanted === "backup") {
      throw new MemoryError(
        "INVALID_INPUT",
        `format "backup" reads a concurrent-export folder, but '${input.path}' is a file`,
      );
    }
    if (st.size > MAX_SOURCE_BYTES) throw tooLarge(input.path);
    const text = decompress(await readFile(file), input.path);
    ({ format, records } = parseSource(text, wanted, input.path));
  }
  return storeRecords(
    bank,
    records,
    { ...input, path: path.relative(bank.projectDir, file) || "." },
    format,
    verified,
    progress,
  );
}

async function storeRecords(
  bank: MemoryBank,
  records: SourceRecord[],
  input: ImportInput,
  format: Concrete,
  verified: number,
  progress: ProgressOptions,
): Promise<ImportOutput> {
  const now = Date.now();
  const errors: ItemError[] = [];
  const items: Array<{ index: number; raw: Record<string, unknown> }> = [];
  let expired = 0;
  records.forEach((r, index) => {
    if ("error" in r) {
      errors.push({ index, message: r.error });
      return;
    }
    const raw = format === "mcp-memory" ? fromKnowledgeGraph(r.raw) : { ...r.raw };
    const own = typeof raw.namespace === "string" ? raw.namespace : undefined;
    if (input.namespace !== undefined) {
      // Moved to another namespace it is a new entry there: two copies must not share an id.
      if (own !== input.namespace) delete raw.id;
      raw.namespace = input.namespace;
    }
    const ns = typeof raw.namespace === "string" ? raw.namespace : "default";
    const updatedAt = typeof raw.updatedAt === "string" ? raw.updatedAt : new Date(now).toISOString();
    const expiresAt = typeof raw.expiresAt === "string" ? raw.expiresAt : undefined;
    if (isExpired({ namespace: ns, updatedAt, ...(expiresAt ? { expiresAt } : {}) }, bank.config, now)) {
      expired++;
      return;
    }
    items.push({ index, raw });
  });

  const out: BatchStoreOutput = { stored: 0, updated: 0, skipped: 0, failed: 0, errors };
  const total = records.length;
  const settled = errors.length + expired;
  progress.onProgress?.(settled, total);
  for (let start = 0; start < items.length; start += SLICE) {
    if (progress.signal?.aborted) throw new MemoryError("CANCELLED", "the import was cancelled");
    const slice = items.slice(start, start + SLICE);
    const r = await bank.batchStore(
      { entries: slice.map((s) => s.raw), onConflict: input.onConflict ?? "overwrite" },
      {
        ...(progress.signal ? { signal: progress.signal } : {}),
        onProgress: (done) => progress.onProgress?.(settled + start + done, total),
      },
      { preserve: true },
    );
    out.stored += r.stored;
    out.updated += r.updated;
    out.skipped += r.skipped;
    for (const e of r.errors) {
      errors.push({ ...e, index: e.index >= 0 ? (slice[e.index]?.index ?? e.index) : e.index });
    }
  }
  errors.sort((a, b) => a.index - b.index);
  out.failed = errors.length;
  return { path: input.path, format, read: records.length, expired, verified, ...out };
}

function decompress(buf: Buffer, name: string): string {
  const gz = buf.length >= 2 && buf[0] === 0x1f && buf[1] === 0x8b;
  if (!gz) {
    if (name.endsWith(".gz"))
      throw new MemoryError("INVALID_INPUT", `'${name}' ends in .gz but is not gzip data`);
    return buf.toString("utf8");
  }
  try {
    return gunzipSync(buf, { maxOutputLength: MAX_SOURCE_BYTES }).toString("utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ERR_BUFFER_TOO_LARGE") throw tooLarge(name);
    throw new MemoryError("INVALID_INPUT", `'${name}' is damaged gzip data: ${(error as Error).message}`);
  }
}

function tooLarge(name: string): MemoryError {
  return new MemoryError(
    "LIMIT_EXCEEDED",
    `'${name}' holds more than ${MAX_SOURCE_BYTES / 1024 / 1024} MiB of text: split it into several files`,
  );
}

/** Detects the format (unless given) and splits the source into records. */
export function parseSource(
  text: string,
  wanted: ImportFormat,
  name: string,
): { format: Concrete; records: SourceRecord[] } {
  if (wanted === "jsonl" || wanted === "mcp-memory")
    return { format: wanted, records: parseLines(text, wanted) };
  let doc: unknown;
  let parseError: Error | undefined;
  try {
    doc = JSON.parse(text);
  } catch (error) {
    parseError = error as Error;
  }
  if (parseError) {
    if (wanted === "auto" && looksLikeJsonl(text)) {
      const records = parseLines(text, "jsonl");
      const first = records.find((r): r is { raw: Record<string, unknown> } => "raw" in r);
      return isGraphItem(first?.raw)
        ? { format: "mcp-memory", records: parseLines(text, "mcp-memory") }
        : { format: "jsonl", records };
    }
    throw new MemoryError("INVALID_INPUT", `'${name}' is not valid JSON: ${parseError.message}`);
  }
  if (wanted === "auto" && isGraphItem(doc))
    return { format: "mcp-memory", records: [{ raw: doc as Record<string, unknown> }] };
  const d = doc as { format?: unknown; generation?: unknown; entries?: unknown; key?: unknown } | null;
  if (Array.isArray(doc))
    return { format: wanted === "snapshot" ? "snapshot" : "json", records: doc.map(toRecord) };
  if (d && typeof d === "object" && Array.isArray(d.entries)) {
    const snapshot =
      d.format !== EXPORT_FORMAT_ID && (typeof d.format === "number" || typeof d.generation === "number");
    return {
      format: wanted === "auto" ? (snapshot ? "snapshot" : "json") : wanted,
      records: d.entries.map(toRecord),
    };
  }
  if (d && typeof d === "object" && typeof d.key === "string") {
    return { format: wanted === "auto" ? "jsonl" : wanted, records: [toRecord(doc)] };
  }
  throw new MemoryError(
    "INVALID_INPUT",
    `'${name}' is JSON but not something we can import: expected an export ({"entries": [...]}), a snapshot, an array of entries, or JSON lines`,
  );
}

function looksLikeJsonl(text: string): boolean {
  const first = text.split("\n").find((l) => l.trim() !== "");
  if (!first) return false;
  try {
    const v = JSON.parse(first);
    return v !== null && typeof v === "object" && !Array.isArray(v);
  } catch {
    return false;
  }
}

/** One record per non-empty line; a bad line is a reported record, never the end of the import. */
export function parseLines(text: string, format: "jsonl" | "mcp-memory"): SourceRecord[] {
  const records: SourceRecord[] = [];
  const lines = text.split("\n");
  lines.forEach((line, i) => {
    if (line.trim() === "") return;
    try {
      const v = JSON.parse(line);
      if (format === "mcp-memory" && !isGraphItem(v)) {
        records.push({
          error: `line ${i + 1}: not an entity or relation of the memory server (needs "type": "entity" | "relation")`,
        });
      } else {
        records.push(toRecord(v, i + 1));
      }
    } catch (error) {
      records.push({ error: `line ${i + 1}: not valid JSON (${(error as Error).message})` });
    }
  });
  return records;
}

function toRecord(v: unknown, line?: number): SourceRecord {
  if (v === null || typeof v !== "object" || Array.isArray(v)) {
    return { error: `${line ? `line ${line}: ` : ""}each record must be an object {key, value, ...}` };
  }
  return { raw: v as Record<string, unknown> };
}

function isGraphItem(v: unknown): boolean {
  const t = (v as { type?: unknown } | null)?.type;
  return !!v && typeof v === "object" && (t === "entity" || t === "relation");
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: tags with control characters are refused
const TAG_OK = /^[^\u0000-\u001f\u007f]{1,64}$/;

/**
 * The official memory server keeps a knowledge graph: entities {name, entityType, observations}
 * and relations {from, to, relationType}. Each becomes one entry whose key names it, so the
 * same graph imported twice updates instead of duplicating.
 */
function fromKnowledgeGraph(item: Record<string, unknown>): Record<string, unknown> {
  const tags = (kind: string, extra: unknown) => [
    kind,
    ...(typeof extra === "string" && TAG_OK.test(extra) ? [extra] : []),
  ];
  const metadata = { source: "@modelcontextprotocol/server-memory" };
  if (item.type === "entity") {
    return {
      key: typeof item.name === "string" ? `entity/${item.name}` : undefined,
      value: { name: item.name, entityType: item.entityType, observations: item.observations ?? [] },
      type: "semantic",
      tags: tags("entity", item.entityType),
      metadata,
    };
  }
  const parts = [item.from, item.relationType, item.to];
  return {
    key: parts.every((p) => typeof p === "string") ? `relation/${parts.join("/")}` : undefined,
    value: { from: item.from, relationType: item.relationType, to: item.to },
    type: "semantic",
    tags: tags("relation", item.relationType),
    metadata,
  };
}

/** Reads an entries file for batch-store: a JSON array, {"entries": [...]}, or JSON lines. */
export async function readEntriesFile(file: string, name = file): Promise<SourceRecord[]> {
  let buf: Buffer;
  try {
    buf = await readFile(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new MemoryError(
      code === "ENOENT" ? "NOT_FOUND" : "IO_ERROR",
      code === "ENOENT"
        ? `entries file '${name}' does not exist`
        : `cannot read '${name}': ${(error as Error).message}`,
    );
  }
  const text = decompress(buf, name);
  const { format, records } = parseSource(text, "auto", name);
  if (format === "mcp-memory") {
    throw new MemoryError(
      "INVALID_INPUT",
      `'${name}' is a memory-server graph: use 'memory-bank import' for it`,
    );
  }
  return records;
}
