/**
 * A search index as one self-checking byte string: what `SearchIndex.exportState` gives,
 * encoded so that loading it costs a read and a few copies instead of analyzing every
 * document again (a million documents: well under a second, against a quarter of a minute).
 *
 *   [0, 8)    "MBSEGMT1": what the file is, and its format
 *   [8, 12)   header length H (uint32 LE)
 *   [12, 16)  CRC-32 of every byte from 16 to the end (uint32 LE)
 *   [16, 16+H) header: JSON { meta, state, arrays } where each typed array of the state is
 *             {"$typed": i} and `arrays[i]` is [kind, element count]
 *   then each array's bytes (little-endian, as the platform's typed arrays are on every
 *   machine Node runs on), each starting on an 8-byte boundary
 *
 * `meta` is the caller's (what the index was built from): decoding returns it as written, and
 * the caller decides whether the index is the one it wants. Any damage (a cut, a flipped bit,
 * a file that is something else) is a SegmentError, never a crash or a wrong index.
 */
import { crc32 } from "node:zlib";
import type { SearchIndexState } from "./search-index.js";

const MAGIC = "MBSEGMT1";
const PREFIX = 16;

type Typed = Int32Array<ArrayBuffer> | Float64Array<ArrayBuffer> | Uint8Array<ArrayBuffer>;
const KINDS = { i32: Int32Array, f64: Float64Array, u8: Uint8Array } as const;
type Kind = keyof typeof KINDS;

function kindOf(a: Typed): Kind {
  if (a instanceof Int32Array) return "i32";
  if (a instanceof Float64Array) return "f64";
  return "u8";
}

/** A segment that cannot be used as it is: damaged, cut off, or not a segment. */
export class SegmentError extends Error {
  override readonly name = "SegmentError";
}

const pad8 = (n: number) => (n + 7) & ~7;

/** Encodes an index state and the caller's `meta` into one Buffer (a copy: the index may change after). */
export function encodeSegment(meta: unknown, state: SearchIndexState): Buffer {
  const arrays: Typed[] = [];
  const tree = lift(state, arrays);
  const header = Buffer.from(
    JSON.stringify({ meta, state: tree, arrays: arrays.map((a) => [kindOf(a), a.length]) }),
    "utf8",
  );
  let size = pad8(PREFIX + header.length);
  for (const a of arrays) size = pad8(size + a.byteLength);
  const out = Buffer.alloc(size);
  out.write(MAGIC, 0, "latin1");
  out.writeUInt32LE(header.length, 8);
  header.copy(out, PREFIX);
  let at = pad8(PREFIX + header.length);
  for (const a of arrays) {
    out.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), at);
    at = pad8(at + a.byteLength);
  }
  out.writeUInt32LE(crc32(out.subarray(PREFIX)), 12);
  return out;
}

/**
 * Decodes a segment. Its typed arrays are views of `buf` where aligned (copies otherwise): the
 * index keeps `buf` alive, so `buf` must not be reused.
 */
export function decodeSegment(buf: Buffer): { meta: unknown; state: SearchIndexState } {
  if (buf.length < PREFIX || buf.toString("latin1", 0, 8) !== MAGIC) {
    throw new SegmentError("not an index segment of this format");
  }
  const headerLength = buf.readUInt32LE(8);
  if (PREFIX + headerLength > buf.length) throw new SegmentError("cut off inside its header");
  if (crc32(buf.subarray(PREFIX)) !== buf.readUInt32LE(12)) throw new SegmentError("checksum mismatch");
  let header: { meta?: unknown; state?: unknown; arrays?: unknown };
  try {
    header = JSON.parse(buf.toString("utf8", PREFIX, PREFIX + headerLength));
  } catch {
    throw new SegmentError("its header is not JSON");
  }
  if (!Array.isArray(header.arrays) || header.state === null || typeof header.state !== "object") {
    throw new SegmentError("its header has no state");
  }
  const arrays: Typed[] = [];
  let at = pad8(PREFIX + headerLength);
  for (const spec of header.arrays as unknown[]) {
    const [kind, length] = Array.isArray(spec) ? spec : [];
    if (!Object.hasOwn(KINDS, kind) || !Number.isSafeInteger(length) || length < 0) {
      throw new SegmentError("its header names an array it cannot describe");
    }
    const Ctor = KINDS[kind as Kind];
    const bytes = length * Ctor.BYTES_PER_ELEMENT;
    if (at + bytes > buf.length) throw new SegmentError("cut off inside its arrays");
    // A view, not a copy, where the bytes are aligned for it (a buffer of its own, as a file
    // read whole gives): copying half a gigabyte is most of a load's time and doubles its memory
    // for that moment. The index replaces an array when it outgrows it.
    const offset = buf.byteOffset + at;
    let a: Typed;
    if (offset % Ctor.BYTES_PER_ELEMENT === 0) a = new Ctor(buf.buffer as ArrayBuffer, offset, length);
    else {
      a = new Ctor(length);
      new Uint8Array(a.buffer).set(buf.subarray(at, at + bytes));
    }
    arrays.push(a);
    at = pad8(at + bytes);
  }
  if (at !== buf.length) throw new SegmentError("longer than its header says");
  return { meta: header.meta, state: lower(header.state, arrays) as SearchIndexState };
}

/** `value` with every typed array replaced by {"$typed": i}, the arrays collected in order. */
function lift(value: unknown, arrays: Typed[]): unknown {
  if (value instanceof Int32Array || value instanceof Float64Array || value instanceof Uint8Array) {
    arrays.push(value as Typed);
    return { $typed: arrays.length - 1 };
  }
  if (Array.isArray(value)) {
    // Long arrays of strings (keys, words) are most of the tree: copied as they are.
    return value.some((v) => v !== null && typeof v === "object") ? value.map((v) => lift(v, arrays)) : value;
  }
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = lift(v, arrays);
    return out;
  }
  return value;
}

/** The reverse of `lift`. */
function lower(value: unknown, arrays: Typed[]): unknown {
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const v = value[i];
      if (v !== null && typeof v === "object") value[i] = lower(v, arrays);
    }
    return value;
  }
  if (value !== null && typeof value === "object") {
    const o = value as Record<string, unknown>;
    if ("$typed" in o) {
      const a = arrays[o.$typed as number];
      if (a === undefined) throw new SegmentError("its header refers to an array it does not hold");
      return a;
    }
    for (const k of Object.keys(o)) o[k] = lower(o[k], arrays);
    return o;
  }
  return value;
}
