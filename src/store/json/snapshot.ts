/**
 * The snapshot: one complete JSON document written one entry per line, so any JSON reader can
 * read it while we parse it line by line from a Buffer (a million entries never become one giant
 * string). Format 2 checksums every line the way the journal does:
 *
 *   {"format":2,"generation":7,"count":2,"folded":{"gen":6,"bytes":8120},"ck":"1a2b3c4d","entries":[
 *   {"id":"…","key":"a",…,"version":3,"ck":"5e6f7a8b"},
 *   {"id":"…","key":"b",…,"version":1,"ck":"9c0d1e2f"}
 *   ],"sum":"3a4b5c6d"}
 *
 * An entry line's `ck` is the CRC-32 of the line's bytes before `,"ck":` (the entry's JSON
 * without its closing brace), so a reader checks it over a slice of the file it already holds;
 * the header's covers the header text before its `ck`, and the final `sum` covers every byte
 * before it, so a sound snapshot is verified with one pass over the file and the per-line checks
 * run only to find which lines are damaged. `folded` says how much of the previous
 * generation's journal this snapshot holds, so that lines appended to that journal afterwards
 * (by a writer that took the lock over while the compacting one was paused) are carried forward
 * by readers rather than lost (see JsonStore.loadAll).
 *
 * Damage is classified, never thrown at a reader as a crash: a line whose checksum or shape is
 * wrong is a *damaged entry* (the rest of the snapshot is good); a bad header, a missing line or
 * a cut-off file is *structural* damage (CORRUPT_DATA: the snapshot as a whole cannot be trusted).
 * Format 1 (no checksums) and plain JSON written by other tools are still read, with every entry's
 * shape checked.
 */
import { readFile } from "node:fs/promises";
import { crc32 } from "node:zlib";
import type { Entry } from "../../domain/entry.js";
import { errorMessage, MemoryError } from "../../domain/errors.js";
import { entryDefect } from "../entry-check.js";
import { type AtomicWriteOptions, writeFileAtomic } from "../files.js";

export const SNAPSHOT_FORMAT = 2;

/** How much of generation `gen`'s journal the snapshot holds: its first `bytes` bytes. */
export interface Folded {
  gen: number;
  bytes: number;
}

/** An entry line that cannot be used: its bytes, where it was, and why. */
export interface DamagedLine {
  /** Byte offset of the line in the snapshot file. */
  offset: number;
  bytes: Buffer;
  reason: string;
  /** The entry as parsed, when it parsed at all (to name it in reports). */
  parsed?: unknown;
}

export interface Snapshot {
  generation: number;
  entries: Entry[];
  folded?: Folded;
  damaged: DamagedLine[];
  /** The whole-file checksum, when the trailer holds one and it matched (format 2). */
  sum?: number;
}

const CK_SUFFIX_LEN = ',"ck":"00000000"}'.length;
const hex = (n: number) => n.toString(16).padStart(8, "0");

function headerText(generation: number, count: number, folded?: Folded): string {
  const prefix = `{"format":${SNAPSHOT_FORMAT},"generation":${generation},"count":${count}${folded ? `,"folded":{"gen":${folded.gen},"bytes":${folded.bytes}}` : ""}`;
  return `${prefix},"ck":"${hex(crc32(prefix))}","entries":[`;
}

export function encodeEntryLine(entry: Entry): string {
  const open = JSON.stringify(entry).slice(0, -1);
  return `${open},"ck":"${hex(crc32(open))}"}`;
}

/**
 * The file in ~1 MiB buffers: lines are joined as strings and encoded once per buffer (one
 * allocation per megabyte, not per entry), and a running checksum of those buffers goes into the
 * trailer.
 */
function* snapshotChunks(
  generation: number,
  entries: Iterable<Entry>,
  count: number,
  folded: Folded | undefined,
  written: { sum: number },
): Generator<Buffer> {
  let whole = 0;
  let parts: string[] = [headerText(generation, count, folded)];
  let size = 0;
  const flush = () => {
    const b = Buffer.from(parts.join(""), "utf8");
    whole = crc32(b, whole);
    parts = [];
    size = 0;
    return b;
  };
  let lines = 0;
  for (const entry of entries) {
    const open = JSON.stringify(entry).slice(0, -1);
    parts.push(lines === 0 ? "\n" : ",\n", open, `,"ck":"${hex(crc32(open))}"}`);
    size += open.length;
    lines++;
    if (size >= 1 << 20) yield flush();
  }
  // The header promised `count` lines: a caller whose iterable disagrees must not install it.
  if (lines !== count) throw new Error(`snapshot of ${count} entries got ${lines}`);
  parts.push("\n]");
  yield flush();
  written.sum = whole;
  yield Buffer.from(`,"sum":"${hex(whole)}"}\n`, "latin1");
}

export interface WriteSnapshotOptions extends AtomicWriteOptions {
  folded?: Folded;
}

/** Writes a snapshot atomically; gives its size and its whole-file checksum (`Snapshot.sum`). */
export async function writeSnapshot(
  file: string,
  generation: number,
  entries: Iterable<Entry>,
  count: number,
  options: WriteSnapshotOptions = {},
): Promise<{ bytes: number; sum: number }> {
  const written = { sum: 0 };
  const bytes = await writeFileAtomic(
    file,
    snapshotChunks(generation, entries, count, options.folded, written),
    options,
  );
  return { bytes, sum: written.sum };
}

/** Reads a snapshot; throws CORRUPT_DATA for structural damage (see parseSnapshot). */
export async function readSnapshot(file: string): Promise<Snapshot> {
  const buf = await readFile(file);
  return parseSnapshot(buf, file);
}

const HEADER_V2 =
  /^\{"format":2,"generation":(\d+),"count":(\d+)(?:,"folded":\{"gen":(\d+),"bytes":(\d+)\})?,"ck":"([0-9a-f]{8})","entries":\[$/;
const HEADER_V1 = /^\{"format":1,"generation":(\d+),"count":(\d+),"entries":\[$/;

/**
 * Parses a snapshot. Damaged entry lines are returned in `damaged` (the caller decides: restore
 * from backups, or set them aside); structural damage throws CORRUPT_DATA.
 */
export function parseSnapshot(buf: Buffer, file = "snapshot"): Snapshot {
  const firstNl = buf.indexOf(10);
  const header = firstNl < 0 ? "" : buf.toString("utf8", 0, firstNl);
  const v2 = headerV2(header);
  if (v2) {
    if (!v2.sound) throw new MemoryError("CORRUPT_DATA", `${file} has a damaged header (checksum mismatch)`);
    return parseLines(buf, firstNl, v2.generation, v2.count, true, file, v2.folded);
  }
  const v1 = HEADER_V1.exec(header);
  if (v1) return parseLines(buf, firstNl, Number(v1[1]), Number(v1[2]), false, file);
  return parsePlain(buf, file);
}

/** A format-2 header line's fields, and whether its checksum holds; undefined for any other line. */
function headerV2(
  header: string,
): { generation: number; count: number; folded?: Folded; sound: boolean } | undefined {
  const v2 = HEADER_V2.exec(header);
  if (!v2) return undefined;
  const sound = hex(crc32(header.slice(0, header.lastIndexOf(',"ck":')))) === v2[5];
  const folded = v2[3] !== undefined ? { gen: Number(v2[3]), bytes: Number(v2[4]) } : undefined;
  return { generation: Number(v2[1]), count: Number(v2[2]), ...(folded ? { folded } : {}), sound };
}

/**
 * `...\n],"sum":"xxxxxxxx"}\n`: where a format-2 trailer starts (the comma before `"sum"`) when
 * the file ends with one, and its sum when that is the checksum of every byte before it.
 */
function trailerOf(buf: Buffer, firstNl: number): { at: number; sum?: number } | undefined {
  const at = buf.length - TRAILER_LEN;
  if (!(at > firstNl && buf[at] === 44 && buf[buf.length - 1] === 10)) return undefined;
  const stored = readHex(buf, at + SUM_PREFIX_LEN);
  return stored >= 0 && stored === crc32(buf.subarray(0, at)) ? { at, sum: stored } : { at };
}

function parseLines(
  buf: Buffer,
  firstNl: number,
  generation: number,
  count: number,
  checksums: boolean,
  file: string,
  folded?: Folded,
): Snapshot {
  let verifyLines = checksums;
  let bodyEndAt = -1;
  let sum: number | undefined;
  // When the checksum over everything before `,"sum"` holds, every line is sound and the
  // per-line checks are skipped.
  const trailer = checksums ? trailerOf(buf, firstNl) : undefined;
  if (trailer) {
    bodyEndAt = trailer.at;
    if (trailer.sum !== undefined) {
      verifyLines = false;
      sum = trailer.sum;
    }
  }
  const entries: Entry[] = new Array(count);
  const damaged: DamagedLine[] = [];
  let start = firstNl + 1;
  let n = 0;
  let kept = 0;
  for (;;) {
    const nl = buf.indexOf(10, start);
    if (nl < 0) {
      throw new MemoryError("CORRUPT_DATA", `${file} is cut off after ${n} of ${count} entries`);
    }
    if (buf[start] === 93 /* ] */) {
      const tail = buf.toString("utf8", start, nl);
      const sound = checksums
        ? bodyEndAt === start + 1 && nl === buf.length - 1
        : tail === "]}" && nl === buf.length - 1;
      if (!sound) throw new MemoryError("CORRUPT_DATA", `${file} does not end as a snapshot ends`);
      break;
    }
    if (n >= count) {
      throw new MemoryError("CORRUPT_DATA", `${file} holds more entry lines than its header's ${count}`);
    }
    n++;
    let end = nl;
    if (buf[end - 1] === 44 /* , */) end--;
    const result = checksums ? checkedLine(buf, start, end, verifyLines) : plainLine(buf, start, end);
    if ("entry" in result) entries[kept++] = result.entry;
    else
      damaged.push({
        offset: start,
        bytes: Buffer.from(buf.subarray(start, nl)),
        reason: result.reason,
        ...(result.parsed !== undefined ? { parsed: result.parsed } : {}),
      });
    start = nl + 1;
  }
  if (n !== count) {
    throw new MemoryError("CORRUPT_DATA", `${file} holds ${n} entry lines, its header says ${count}`);
  }
  entries.length = kept;
  return {
    generation,
    entries,
    damaged,
    ...(folded ? { folded } : {}),
    ...(sum !== undefined ? { sum } : {}),
  };
}

/** `,"sum":"xxxxxxxx"}\n` after the entries' closing bracket. */
const TRAILER_LEN = ',"sum":"00000000"}\n'.length;
const SUM_PREFIX_LEN = ',"sum":"'.length;

type LineResult = { entry: Entry } | { reason: string; parsed?: unknown };

function checkedLine(buf: Buffer, start: number, end: number, verify: boolean): LineResult {
  const len = end - start;
  const bodyEnd = end - CK_SUFFIX_LEN;
  if (len < CK_SUFFIX_LEN + 2 || buf[end - 1] !== 125 /* } */ || buf[end - 2] !== 34 /* " */) {
    return { reason: "truncated line" };
  }
  // `,"ck":"` spelled out byte by byte: cheaper than a compare call per entry.
  if (
    buf[bodyEnd] !== 44 ||
    buf[bodyEnd + 1] !== 34 ||
    buf[bodyEnd + 2] !== 99 ||
    buf[bodyEnd + 3] !== 107 ||
    buf[bodyEnd + 4] !== 34 ||
    buf[bodyEnd + 5] !== 58 ||
    buf[bodyEnd + 6] !== 34
  ) {
    return { reason: "missing checksum" };
  }
  // The entry's JSON is the line up to `,"ck"` closed by a brace: the comma's byte is turned
  // into that brace for the decode and put back, which spares a string copy per entry.
  buf[bodyEnd] = 125;
  const text = buf.toString("utf8", start, bodyEnd + 1);
  buf[bodyEnd] = 44;
  if (verify && readHex(buf, bodyEnd + 7) !== crc32(buf.subarray(start, bodyEnd))) {
    return { reason: "checksum mismatch", ...parsedOf(text) };
  }
  return shaped(text);
}

/** The 8 lowercase hex digits at `at` as a number, or -1: read from the bytes, no string made. */
function readHex(buf: Buffer, at: number): number {
  let v = 0;
  for (let i = at; i < at + 8; i++) {
    const c = buf[i] as number;
    const d = c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : -1;
    if (d < 0) return -1;
    v = v * 16 + d;
  }
  return v;
}

function plainLine(buf: Buffer, start: number, end: number): LineResult {
  return shaped(buf.toString("utf8", start, end));
}

function parsedOf(text: string): { parsed?: unknown } {
  try {
    return { parsed: JSON.parse(text) };
  } catch {
    return {};
  }
}

function shaped(text: string): LineResult {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { reason: "not JSON" };
  }
  const defect = entryDefect(parsed);
  return defect ? { reason: `malformed entry: ${defect}`, parsed } : { entry: parsed as Entry };
}

/** Not our line layout (edited by hand, or written by another tool): parse it as plain JSON. */
function parsePlain(buf: Buffer, file: string): Snapshot {
  let doc: unknown;
  try {
    doc = JSON.parse(buf.toString("utf8"));
  } catch (error) {
    throw new MemoryError("CORRUPT_DATA", `${file} is not valid JSON: ${errorMessage(error)}`);
  }
  const d = doc as { generation?: unknown; entries?: unknown };
  if (!d || typeof d !== "object" || !Array.isArray(d.entries)) {
    throw new MemoryError("CORRUPT_DATA", `${file} has no "entries" array`);
  }
  const generation =
    typeof d.generation === "number" && Number.isSafeInteger(d.generation) ? d.generation : 0;
  const entries: Entry[] = [];
  const damaged: DamagedLine[] = [];
  d.entries.forEach((e: unknown, i: number) => {
    const defect = entryDefect(e);
    if (!defect) entries.push(e as Entry);
    else
      damaged.push({
        offset: i,
        bytes: Buffer.from(JSON.stringify(e) ?? "undefined"),
        reason: `malformed entry: ${defect}`,
        parsed: e,
      });
  });
  return { generation, entries, damaged };
}

/**
 * A sound format-2 snapshot read without parsing its entries: each line's namespace and key
 * are read from its bytes, and the entry itself is parsed when first asked for (`entry`). At a
 * million entries parsing every line at open is most of the time a cold start takes, and the
 * parsed entries are most of the memory a process holds; most of them are never read.
 *
 * Only for a file whose whole-file checksum holds (every byte is as the writer wrote it, so
 * no line needs checking now): `readLines` answers undefined for anything else (another
 * format, a mismatch, a layout it does not expect) and the caller parses the file whole,
 * which finds and classifies any damage.
 */
export interface SnapshotLines {
  generation: number;
  folded?: Folded;
  sum: number;
  /** Entry lines, in file order. */
  count: number;
  /**
   * Line i's namespace and key. Lines whose layout is not the writer's usual one (fields in
   * another order, a key with escapes) come parsed whole: `parsed[i]`.
   */
  namespaces: string[];
  keys: string[];
  parsed: Map<number, Entry>;
  /** Line i's entry, parsed and shape-checked; CORRUPT_DATA when it is not an entry. */
  entry(i: number): Entry;
}

const ID_OPEN = Buffer.from('{"id":"');
const KEY_OPEN = Buffer.from(',"key":"');
const NAMESPACE_OPEN = Buffer.from(',"namespace":"');

export function readLines(buf: Buffer, file = "snapshot"): SnapshotLines | undefined {
  const firstNl = buf.indexOf(10);
  if (firstNl < 0) return undefined;
  const v2 = headerV2(buf.toString("utf8", 0, firstNl));
  if (!v2?.sound) return undefined;
  const trailer = trailerOf(buf, firstNl);
  if (trailer?.sum === undefined) return undefined;
  const sum = trailer.sum;
  const tail = trailer.at;
  const count = v2.count;
  const starts = new Float64Array(count);
  const bodyEnds = new Float64Array(count);
  const namespaces: string[] = new Array(count);
  const keys: string[] = new Array(count);
  const parsed = new Map<number, Entry>();
  let lastNs = "";
  let lastNsStart = -1;
  let lastNsEnd = -1;
  let start = firstNl + 1;
  let n = 0;
  for (;;) {
    const nl = buf.indexOf(10, start);
    if (nl < 0) return undefined;
    if (buf[start] === 93 /* ] */) {
      if (n !== count || start + 1 !== tail || nl !== buf.length - 1) return undefined;
      break;
    }
    if (n >= count) return undefined;
    let end = nl;
    if (buf[end - 1] === 44 /* , */) end--;
    const bodyEnd = end - CK_SUFFIX_LEN;
    if (bodyEnd <= start || buf[bodyEnd] !== 44) return undefined;
    starts[n] = start;
    bodyEnds[n] = bodyEnd;
    // {"id":"…","key":"…","namespace":"…", as JSON.stringify writes an entry made by the service.
    const idEnd = startsWith(buf, start, ID_OPEN) ? plainStringEnd(buf, start + ID_OPEN.length, bodyEnd) : -1;
    const keyAt = idEnd + 1;
    const keyEnd =
      idEnd >= 0 && startsWith(buf, keyAt, KEY_OPEN)
        ? plainStringEnd(buf, keyAt + KEY_OPEN.length, bodyEnd)
        : -1;
    const nsAt = keyEnd + 1;
    const nsEnd =
      keyEnd >= 0 && startsWith(buf, nsAt, NAMESPACE_OPEN)
        ? plainStringEnd(buf, nsAt + NAMESPACE_OPEN.length, bodyEnd)
        : -1;
    if (nsEnd >= 0) {
      const nsStart = nsAt + NAMESPACE_OPEN.length;
      // Entries of one namespace follow one another: its name is made once, not once a line.
      if (
        !(
          nsEnd - nsStart === lastNsEnd - lastNsStart &&
          buf.compare(buf, lastNsStart, lastNsEnd, nsStart, nsEnd) === 0
        )
      ) {
        lastNs = buf.toString("utf8", nsStart, nsEnd);
        lastNsStart = nsStart;
        lastNsEnd = nsEnd;
      }
      namespaces[n] = lastNs;
      keys[n] = buf.toString("utf8", keyAt + KEY_OPEN.length, keyEnd);
    } else {
      const whole = shaped(entryText(buf, start, bodyEnd));
      if (!("entry" in whole)) return undefined;
      parsed.set(n, whole.entry);
      namespaces[n] = whole.entry.namespace;
      keys[n] = whole.entry.key;
    }
    n++;
    start = nl + 1;
  }
  return {
    generation: v2.generation,
    ...(v2.folded ? { folded: v2.folded } : {}),
    sum,
    count,
    namespaces,
    keys,
    parsed,
    entry(i: number): Entry {
      const known = parsed.get(i);
      if (known) return known;
      const result = shaped(entryText(buf, starts[i] as number, bodyEnds[i] as number));
      if ("entry" in result) return result.entry;
      throw new MemoryError(
        "CORRUPT_DATA",
        `${file}: the entry at byte ${starts[i]} is not an entry (${result.reason}), although the file's checksum holds; run 'memory-bank index-validate'`,
      );
    },
  };
}

function startsWith(buf: Buffer, at: number, prefix: Buffer): boolean {
  if (at + prefix.length > buf.length) return false;
  for (let i = 0; i < prefix.length; i++) if (buf[at + i] !== prefix[i]) return false;
  return true;
}

/** Where the JSON string starting at `from` ends (its closing quote), or -1 if it has an escape or does not end before `limit`. */
function plainStringEnd(buf: Buffer, from: number, limit: number): number {
  for (let i = from; i < limit; i++) {
    const c = buf[i];
    if (c === 34) return i;
    if (c === 92) return -1;
  }
  return -1;
}

/** The entry JSON of a line: its bytes up to `,"ck"`, closed by a brace. */
function entryText(buf: Buffer, start: number, bodyEnd: number): string {
  return `${buf.toString("utf8", start, bodyEnd)}}`;
}
