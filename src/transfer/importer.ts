/**
 * import / `memory-bank import`: reads entries from our own exports (json, jsonl, .gz), a
 * claude-flow-data.json snapshot of another project, the JSONL file of the official
 * @modelcontextprotocol/server-memory (entities and relations become entries), or a
 * concurrent-export backup folder, and stores them through the same batch machinery as
 * batch_store: one bad record is reported by its position and the others are imported.
 * Identity fields (id, createdAt, updatedAt, expiresAt, version) are kept, so an imported entry
 * ages exactly as it did at its source; entries that are already expired are not imported.
 */
import { type FileHandle, lstat, stat } from "node:fs/promises";
import path from "node:path";
import { Readable } from "node:stream";
import { createGunzip, gunzipSync } from "node:zlib";
import { errorMessage, MemoryError } from "../domain/errors.js";
import { printable } from "../domain/input.js";
import type { MemoryBank } from "../service/bank.js";
import type { BatchStoreOutput, ItemError } from "../service/operations/batch-store.js";
import type { ImportInput, ImportOutput } from "../service/operations/import.js";
import type { OperationContext } from "../service/operations/operation.js";
import { readBackup } from "./backup-folder.js";
import { EXPORT_FORMAT_ID } from "./export-file.js";
import { relativeToProject, resolveInsideProject } from "./project-paths.js";
import { openRegularFile, readAll, readRegularFile } from "./source-file.js";

export const IMPORT_FORMATS = ["auto", "json", "jsonl", "snapshot", "mcp-memory", "backup"] as const;
export type ImportFormat = (typeof IMPORT_FORMATS)[number];
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

function megabytes(n: number): string {
  return n < 1024 * 1024 ? `${Math.ceil(n / 1024)} KiB` : `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

export async function importFrom(
  bank: MemoryBank,
  input: ImportInput,
  progress: OperationContext = {},
): Promise<ImportOutput> {
  // A path that names nothing is told so first, wherever it points: "outside the project" for a
  // typo'd absolute path would send a person looking for the wrong fix.
  const requested = path.resolve(bank.projectDir, input.path);
  if (!(await lstat(requested).catch(() => undefined))) {
    throw new MemoryError(
      "NOT_FOUND",
      `path '${printable(input.path)}' does not exist: give a file or backup folder inside the project`,
    );
  }
  const file = resolveInsideProject(bank.projectDir, input.path);
  const st = await stat(file).catch(() => undefined);
  if (!st) {
    throw new MemoryError(
      "NOT_FOUND",
      `path '${printable(input.path)}' does not exist: give a file or backup folder inside the project`,
    );
  }
  progress.onPhase?.(`reading ${printable(input.path)}${st.isFile() ? ` (${megabytes(st.size)})` : ""}`);
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
    // Opened once, checked to be a regular file before anything reads it; every read below goes
    // through this handle, so what was checked is what is read.
    const handle = await openRegularFile(file, input.path);
    try {
      const size = (await handle.stat()).size;
      const lines = await lineLayout(handle, wanted);
      if (lines) {
        return await streamImport(
          bank,
          handle,
          size,
          lines,
          { ...input, path: relativeToProject(bank.projectDir, file) },
          progress,
        );
      }
      if (size > MAX_SOURCE_BYTES) throw tooLarge(input.path);
      const text = decompress(await readAll(handle), input.path);
      ({ format, records } = parseSource(text, wanted, input.path));
    } finally {
      await handle.close();
    }
  }
  return storeRecords(
    bank,
    records,
    { ...input, path: relativeToProject(bank.projectDir, file) },
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
  progress: OperationContext,
): Promise<ImportOutput> {
  const sink = new ImportSink(bank, input, format, progress);
  for (let start = 0; start < records.length; start += SLICE) {
    await sink.store(records.slice(start, start + SLICE), (done) =>
      progress.onProgress?.(start + done, records.length),
    );
  }
  return sink.result(verified);
}

/**
 * Stores records slice by slice through batchStore and adds up the outcome. Record positions
 * are global (the n-th record of the source), whichever slice they arrive in.
 */
class ImportSink {
  private read = 0;
  private expired = 0;
  private readonly errors: ItemError[] = [];
  private readonly out: BatchStoreOutput = { stored: 0, updated: 0, skipped: 0, failed: 0, errors: [] };

  constructor(
    private readonly bank: MemoryBank,
    private readonly input: ImportInput,
    private readonly format: Concrete,
    private readonly progress: OperationContext,
  ) {}

  async store(records: SourceRecord[], onDone?: (done: number) => void): Promise<void> {
    const base = this.read;
    this.read += records.length;
    const read = this.bank.read();
    const now = read.now;
    const items: Array<{ index: number; raw: Record<string, unknown> }> = [];
    records.forEach((r, i) => {
      const index = base + i;
      if ("error" in r) {
        this.errors.push({ index, message: r.error });
        return;
      }
      const raw = this.format === "mcp-memory" ? fromKnowledgeGraph(r.raw) : { ...r.raw };
      const own = typeof raw.namespace === "string" ? raw.namespace : undefined;
      if (this.input.namespace !== undefined) {
        // Moved to another namespace it is a new entry there: two copies must not share an id.
        if (own !== this.input.namespace) delete raw.id;
        raw.namespace = this.input.namespace;
      } else if (own === undefined && this.input.defaultNamespace !== undefined) {
        raw.namespace = this.input.defaultNamespace;
      }
      const ns = typeof raw.namespace === "string" ? raw.namespace : "default";
      const updatedAt = typeof raw.updatedAt === "string" ? raw.updatedAt : new Date(now).toISOString();
      const expiresAt = typeof raw.expiresAt === "string" ? raw.expiresAt : undefined;
      // Judged as this project will stamp it: by its own policy for the namespace.
      const entry = { namespace: ns, updatedAt, ...(expiresAt ? { expiresAt } : {}) };
      if (read.isExpired(entry)) {
        this.expired++;
        return;
      }
      items.push({ index, raw });
    });
    const settled = records.length - items.length;
    onDone?.(settled);
    if (items.length === 0) return;
    if (this.progress.signal?.aborted) throw new MemoryError("CANCELLED", "the import was cancelled");
    const r = await this.bank.batchStore(
      { entries: items.map((s) => s.raw), onConflict: this.input.onConflict ?? "overwrite" },
      {
        ...(this.progress.signal ? { signal: this.progress.signal } : {}),
        onProgress: (done) => onDone?.(settled + done),
      },
      { preserve: true },
    );
    this.out.stored += r.stored;
    this.out.updated += r.updated;
    this.out.skipped += r.skipped;
    for (const e of r.errors) {
      this.errors.push({ ...e, index: e.index >= 0 ? (items[e.index]?.index ?? e.index) : e.index });
    }
  }

  result(verified: number): ImportOutput {
    this.errors.sort((a, b) => a.index - b.index);
    return {
      path: this.input.path,
      format: this.format,
      read: this.read,
      expired: this.expired,
      verified,
      ...this.out,
      errors: this.errors,
      failed: this.errors.length,
    };
  }
}

// ---------------------------------------------------------------------------------------------
// Streaming: line-oriented sources are read a slice at a time, so importing a file far larger
// than memory (or than a JavaScript string) holds only one slice of records at once.

/** A source whose records are one per line: JSON lines, or our export/snapshot layout. */
interface LineLayout {
  format: Concrete;
  /** Our export and snapshot files: a header line, then `{entry},` lines, then `]}`. */
  framed: boolean;
}

/** The longest line a streamed source may have: a record at the value limit, with room to spare. */
const MAX_LINE_BYTES = 16 * 1024 * 1024;

const EXPORT_HEADER =
  /^\{"format":"memory-bank-export","version":\d+,"exportedAt":"[^"]*","count":\d+,"entries":\[$/;
const SNAPSHOT_HEADER =
  /^\{"format":\d+,"generation":\d+,"count":\d+(?:,"folded":\{"gen":\d+,"bytes":\d+\})?(?:,"ck":"[0-9a-f]{8}")?,"entries":\[$/;

/** Looks at the start of the file to tell whether it can be streamed line by line. */
async function lineLayout(file: FileHandle, wanted: ImportFormat): Promise<LineLayout | undefined> {
  let first: string | undefined;
  for await (const item of linesOf(await decompressing(file, readStream(file)), 1024 * 1024)) {
    if ("tooLong" in item) return undefined;
    if (item.line.trim() === "") continue;
    first = item.line;
    break;
  }
  if (first === undefined) return undefined;
  if (EXPORT_HEADER.test(first) && (wanted === "auto" || wanted === "json"))
    return { format: "json", framed: true };
  if (SNAPSHOT_HEADER.test(first) && (wanted === "auto" || wanted === "snapshot")) {
    return { format: "snapshot", framed: true };
  }
  if (wanted === "jsonl" || wanted === "mcp-memory") return { format: wanted, framed: false };
  if (wanted !== "auto") return undefined;
  let v: unknown;
  try {
    v = JSON.parse(first);
  } catch {
    return undefined;
  }
  if (isGraphItem(v)) return { format: "mcp-memory", framed: false };
  // A one-line JSON document ({"entries": [...]}) is not JSON lines: only records with a key are.
  const isRecord = v !== null && typeof v === "object" && !Array.isArray(v) && "key" in v;
  return isRecord ? { format: "jsonl", framed: false } : undefined;
}

async function streamImport(
  bank: MemoryBank,
  file: FileHandle,
  fileBytes: number,
  layout: LineLayout,
  input: ImportInput,
  progress: OperationContext,
): Promise<ImportOutput> {
  const sink = new ImportSink(bank, input, layout.format, progress);
  const read: ReadCount = { bytes: 0 };
  const raw = readStream(file, read);
  let batch: SourceRecord[] = [];
  let header = layout.framed;
  let closed = false;
  // Progress counts bytes of the file read so far: the number of records is unknown until the end.
  const report = () => progress.onProgress?.(Math.min(read.bytes, fileBytes), fileBytes);
  const flush = async () => {
    const records = batch;
    batch = [];
    await sink.store(records, report);
  };
  report();
  try {
    await readLines();
  } catch (error) {
    if (error instanceof MemoryError) throw error;
    const done = sink.result(0);
    throw new MemoryError(
      "INVALID_INPUT",
      `'${input.path}' could not be read to the end (${errorMessage(error)}); ${done.stored + done.updated} entries from before that point were imported`,
    );
  }
  if (layout.framed && !closed)
    batch.push({ error: "the file ends before its entries list is closed: it is truncated" });
  await flush();
  return sink.result(0);

  async function readLines(): Promise<void> {
    for await (const item of linesOf(await decompressing(file, raw), MAX_LINE_BYTES)) {
      if ("tooLong" in item) {
        batch.push({ error: `line ${item.number}: longer than ${MAX_LINE_BYTES} bytes; skipped` });
      } else {
        const line = item.line.trim();
        if (line === "") continue;
        if (header) {
          header = false; // checked by lineLayout
          continue;
        }
        if (layout.framed) {
          if (closed) {
            batch.push({ error: `line ${item.number}: text after the end of the entries list` });
            continue;
          }
          // `]}`, or a snapshot's `],"sum":"…"}` (its whole-file checksum)
          if (line === "]}" || /^\],"sum":"[0-9a-f]{8}"\}$/.test(line)) {
            closed = true;
            continue;
          }
        }
        batch.push(
          parseRecordLine(layout.framed ? line.replace(/,$/, "") : line, item.number, layout.format),
        );
      }
      if (batch.length >= SLICE) await flush();
    }
  }
}

function parseRecordLine(line: string, number: number, format: Concrete): SourceRecord {
  try {
    const v = JSON.parse(line);
    if (format === "mcp-memory" && !isGraphItem(v)) {
      return {
        error: `line ${number}: not an entity or relation of the memory server (needs "type": "entity" | "relation")`,
      };
    }
    return toRecord(v, number);
  } catch (error) {
    return { error: `line ${number}: not valid JSON (${errorMessage(error)})` };
  }
}

async function isGzipFile(file: FileHandle): Promise<boolean> {
  const head = Buffer.alloc(2);
  const { bytesRead } = await file.read(head, 0, 2, 0);
  return bytesRead === 2 && head[0] === 0x1f && head[1] === 0x8b;
}

async function decompressing(file: FileHandle, raw: Readable): Promise<Readable> {
  return (await isGzipFile(file)) ? raw.pipe(createGunzip()) : raw;
}

/** Bytes read from the source so far, for progress. */
interface ReadCount {
  bytes: number;
}

/**
 * The file from its first byte, read by position. Not fs.ReadStream: destroying one (as a reader
 * that stops early does) closes the descriptor, and the same handle is read more than once.
 */
function readStream(file: FileHandle, count: ReadCount = { bytes: 0 }): Readable {
  return Readable.from(
    (async function* () {
      for (;;) {
        const buf = Buffer.allocUnsafe(256 * 1024);
        const { bytesRead } = await file.read(buf, 0, buf.length, count.bytes);
        if (bytesRead === 0) return;
        count.bytes += bytesRead;
        yield buf.subarray(0, bytesRead);
      }
    })(),
    { objectMode: false },
  );
}

type LineItem = { line: string; number: number } | { tooLong: true; number: number };

/**
 * Splits a byte stream into lines without ever holding more than `maxLine` bytes of one line:
 * a longer line (or a gzip bomb with no newline) is reported and skipped, not buffered.
 */
async function* linesOf(stream: Readable, maxLine: number): AsyncGenerator<LineItem> {
  let parts: Buffer[] = [];
  let size = 0;
  let skipping = false;
  let number = 0;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      let start = 0;
      while (start < chunk.length) {
        const nl = chunk.indexOf(10, start);
        const end = nl < 0 ? chunk.length : nl;
        if (!skipping) {
          if (size + (end - start) > maxLine) {
            skipping = true;
            parts = [];
            size = 0;
          } else {
            parts.push(chunk.subarray(start, end));
            size += end - start;
          }
        }
        if (nl < 0) break;
        number++;
        if (skipping) yield { tooLong: true, number };
        else yield { line: Buffer.concat(parts, size).toString("utf8"), number };
        parts = [];
        size = 0;
        skipping = false;
        start = nl + 1;
      }
    }
  } finally {
    stream.destroy();
  }
  if (skipping) yield { tooLong: true, number: number + 1 };
  else if (size > 0) yield { line: Buffer.concat(parts, size).toString("utf8"), number: number + 1 };
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
    throw new MemoryError("INVALID_INPUT", `'${name}' is damaged gzip data: ${errorMessage(error)}`);
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
      records.push({ error: `line ${i + 1}: not valid JSON (${errorMessage(error)})` });
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
    buf = await readRegularFile(file, name);
  } catch (error) {
    if (error instanceof MemoryError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    throw new MemoryError(
      code === "ENOENT" ? "NOT_FOUND" : "IO_ERROR",
      code === "ENOENT"
        ? `entries file '${name}' does not exist`
        : `cannot read '${name}': ${errorMessage(error)}`,
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
