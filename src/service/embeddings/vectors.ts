/**
 * Entry vectors: kept in memory as unit-length Float32Arrays (so cosine similarity is a dot
 * product) and persisted beside the store as `<snapshot base>.vectors.jsonl` (0600, written
 * whole through write-temp + fsync + rename, so a reader or a crash sees the old file or the
 * new one).
 *
 * File format: the first line is a header `{ "format": 1, "fingerprint": "<provider|url|model|dims>" }`;
 * every other line is `{ "n": namespace, "k": key, "h": content hash, "v": base64 little-endian float32 }`.
 * A vector is reused only while its content hash matches the entry's current text and the
 * fingerprint matches the configuration, so an edited entry or a changed model is re-embedded.
 */
import { createReadStream } from "node:fs";
import { createInterface } from "node:readline";
import { errorMessage } from "../../domain/errors.js";
import { writeFileAtomic } from "../../store/files.js";

export interface VectorRecord {
  namespace: string;
  key: string;
  /** Content hash of the text the vector was computed from. */
  hash: string;
  /** Unit length. */
  vector: Float32Array;
}

export function idOf(namespace: string, key: string): string {
  return `${namespace}\u0000${key}`;
}

/** Scales `v` to unit length in place (a zero vector stays zero). */
export function normalize(v: Float32Array): Float32Array {
  let sum = 0;
  for (let i = 0; i < v.length; i++) sum += (v[i] as number) * (v[i] as number);
  const norm = Math.sqrt(sum);
  if (norm > 0) for (let i = 0; i < v.length; i++) v[i] = (v[i] as number) / norm;
  return v;
}

/** Dot product of two vectors of the same length: cosine similarity for unit vectors. */
export function dot(a: Float32Array, b: Float32Array): number {
  const n = Math.min(a.length, b.length);
  let s = 0;
  for (let i = 0; i < n; i++) s += (a[i] as number) * (b[i] as number);
  return s;
}

function encodeVector(v: Float32Array): string {
  const buf = Buffer.allocUnsafe(v.length * 4);
  for (let i = 0; i < v.length; i++) buf.writeFloatLE(v[i] as number, i * 4);
  return buf.toString("base64");
}

function decodeVector(s: string): Float32Array | undefined {
  const buf = Buffer.from(s, "base64");
  if (buf.length === 0 || buf.length % 4 !== 0) return undefined;
  const out = new Float32Array(buf.length / 4);
  for (let i = 0; i < out.length; i++) out[i] = buf.readFloatLE(i * 4);
  return out;
}

/**
 * Reads the vectors file. Missing file, other fingerprint or unreadable lines mean "nothing
 * to reuse" for those vectors, never an error: vectors can always be computed again.
 */
export async function loadVectors(
  file: string,
  fingerprint: string,
  log: (m: string) => void,
): Promise<Map<string, VectorRecord>> {
  const out = new Map<string, VectorRecord>();
  let stream: ReturnType<typeof createReadStream>;
  try {
    stream = createReadStream(file, { encoding: "utf8" });
    await new Promise<void>((resolve, reject) => {
      stream.once("open", () => resolve());
      stream.once("error", reject);
    });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT")
      log(`cannot read ${file}: ${errorMessage(error)}`);
    return out;
  }
  let first = true;
  let bad = 0;
  for await (const line of createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY })) {
    if (!line) continue;
    let rec: { format?: unknown; fingerprint?: unknown; n?: unknown; k?: unknown; h?: unknown; v?: unknown };
    try {
      rec = JSON.parse(line);
    } catch {
      bad++;
      continue;
    }
    if (first) {
      first = false;
      if (rec.format !== 1 || rec.fingerprint !== fingerprint) {
        stream.destroy();
        return out; // another model or endpoint: every vector is recomputed
      }
      continue;
    }
    const vector = typeof rec.v === "string" ? decodeVector(rec.v) : undefined;
    if (typeof rec.n !== "string" || typeof rec.k !== "string" || typeof rec.h !== "string" || !vector) {
      bad++;
      continue;
    }
    out.set(idOf(rec.n, rec.k), { namespace: rec.n, key: rec.k, hash: rec.h, vector });
  }
  if (bad > 0) log(`${file}: ${bad} unreadable line(s) skipped; those entries are embedded again`);
  return out;
}

/** Writes every vector atomically (0600). */
export async function saveVectors(
  file: string,
  fingerprint: string,
  records: Iterable<VectorRecord>,
  options: { fsync?: boolean } = {},
): Promise<number> {
  function* lines() {
    yield `${JSON.stringify({ format: 1, fingerprint })}\n`;
    for (const r of records) {
      yield `${JSON.stringify({ n: r.namespace, k: r.key, h: r.hash, v: encodeVector(r.vector) })}\n`;
    }
  }
  return writeFileAtomic(file, lines(), options);
}
