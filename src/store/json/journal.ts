/**
 * The append-only journal: one JSON object per line, each ending in a CRC-32 of the bytes before it.
 *
 *   {"gen":3,"seq":17,"op":"put","entry":{...},"ck":"1a2b3c4d"}
 *
 * The checksum covers the exact serialized text (`{"gen":...,"entry":{...}}`), so a flipped byte is
 * caught without any canonical re-serialization. `gen` ties a line to the snapshot generation it
 * applies to: after a compaction, lines of older generations are already inside the snapshot.
 */
import { crc32 } from "node:zlib";
import type { Entry } from "../../domain/entry.js";
import { entryDefect } from "../entry-check.js";

export type Op =
  | { op: "put"; entry: Entry }
  | { op: "del"; namespace: string; key: string }
  /** Several changes that must apply together or not at all (atomic batches): one line, one checksum. */
  | { op: "batch"; ops: Array<Exclude<Op, { op: "batch" }>> };

export type SimpleOp = Exclude<Op, { op: "batch" }>;

export interface JournalRecord {
  gen: number;
  seq: number;
  change: Op;
  /** The line's checksum: with gen and seq, what tells a copy of a line from another line. */
  ck: string;
  /** Set by scanJournal: the file offset just past the line. */
  end?: number;
}

const CK_SUFFIX_LEN = ',"ck":"00000000"}'.length;

export function encodeLine(gen: number, seq: number, change: Op): string {
  const body = JSON.stringify({ gen, seq, ...change });
  const ck = crc32(body).toString(16).padStart(8, "0");
  return `${body.slice(0, -1)},"ck":"${ck}"}\n`;
}

export type DecodeResult = { ok: true; record: JournalRecord } | { ok: false; reason: string };

/** Decodes one line (without its newline). Never throws: a bad line is a reported result. */
export function decodeLine(line: string): DecodeResult {
  if (line.length < CK_SUFFIX_LEN + 2 || !line.endsWith('"}')) return { ok: false, reason: "truncated line" };
  const suffix = line.slice(-CK_SUFFIX_LEN);
  if (!suffix.startsWith(',"ck":"')) return { ok: false, reason: "missing checksum" };
  const ck = suffix.slice(7, 15);
  const body = `${line.slice(0, -CK_SUFFIX_LEN)}}`;
  if (crc32(body).toString(16).padStart(8, "0") !== ck) return { ok: false, reason: "checksum mismatch" };
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(body);
  } catch {
    return { ok: false, reason: "not JSON" };
  }
  const { gen, seq, ...change } = parsed;
  if (!Number.isSafeInteger(gen) || !Number.isSafeInteger(seq))
    return { ok: false, reason: "unknown record shape" };
  const defect = opDefect(change);
  if (defect) return { ok: false, reason: defect };
  return { ok: true, record: { gen: gen as number, seq: seq as number, change: change as Op, ck } };
}

/**
 * Why a decoded record is not an operation the store can apply, or undefined. A checksum only
 * proves the bytes are the ones written; the entry inside must also be well formed, or it would
 * reach the index and the answers (an atomic batch with one bad entry is refused whole).
 */
function opDefect(v: Record<string, unknown>, nested = false): string | undefined {
  switch (v.op) {
    case "put": {
      const defect = entryDefect(v.entry);
      return defect ? `malformed entry: ${defect}` : undefined;
    }
    case "del":
      return typeof v.namespace === "string" && typeof v.key === "string"
        ? undefined
        : "unknown record shape";
    case "batch":
      if (nested || !Array.isArray(v.ops)) return "unknown record shape";
      for (const o of v.ops) {
        if (typeof o !== "object" || o === null) return "unknown record shape";
        const defect = opDefect(o as Record<string, unknown>, true);
        if (defect) return defect;
      }
      return undefined;
    default:
      return "unknown record shape";
  }
}

export interface ScanProblem {
  /** Byte offset of the bad line in the journal. */
  offset: number;
  length: number;
  reason: string;
}

export interface ScanResult {
  records: JournalRecord[];
  /** Bytes consumed: every complete line (good or bad). A trailing partial line is not consumed. */
  consumed: number;
  problems: ScanProblem[];
}

/**
 * Splits a buffer read from the journal at `baseOffset` into records. A final chunk without a
 * newline is left unconsumed: it is either another process's append in flight or a torn tail, and
 * only a writer holding the lock may decide which (see JsonStore).
 */
export function scanJournal(buf: Buffer, baseOffset: number): ScanResult {
  const records: JournalRecord[] = [];
  const problems: ScanProblem[] = [];
  let start = 0;
  for (;;) {
    const nl = buf.indexOf(10, start);
    if (nl < 0) break;
    if (nl > start) {
      const r = decodeLine(buf.toString("utf8", start, nl));
      if (r.ok) {
        r.record.end = baseOffset + nl + 1;
        records.push(r.record);
      } else problems.push({ offset: baseOffset + start, length: nl - start, reason: r.reason });
    }
    start = nl + 1;
  }
  return { records, consumed: start, problems };
}
