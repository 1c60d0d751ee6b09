/**
 * The cursor of a paged query: opaque to callers, checked on the way back in. It carries the last
 * hit of the page, the identity of the query it belongs to, and the scoring plan of the first
 * page, so later pages score every unchanged entry exactly as the first page did.
 */
import { createHash } from "node:crypto";
import { deflateRawSync, inflateRawSync } from "node:zlib";
import { MemoryError } from "../../domain/errors.js";
import type { SearchCursor, SearchPlan } from "../../search/api.js";
import type { Fusion } from "../embeddings/semantic.js";

/** Identity of a query: a short hash of every field that changes its answer. */
export function fingerprint(value: unknown): string {
  return createHash("sha1").update(JSON.stringify(value)).digest("base64url").slice(0, 12);
}

/** The schema's bound on a cursor (QueryInputSchema.cursor). */
const MAX_CURSOR_CHARS = 4096;

/**
 * An opaque cursor: the last hit of the page, the query it belongs to, and the scoring plan
 * of the first page (query terms with their idf and the average field lengths), so later pages
 * score every unchanged entry exactly as the first page did: nothing is skipped or repeated,
 * whatever is written between pages. Fused hybrid queries also carry their fusion constants.
 * Large plans are deflated ("z." prefix); a plan that still does not fit is dropped and paging
 * continues by position (best effort), which only very long fuzzy queries reach.
 */
export function encodeCursor(c: SearchCursor, queryId: string, fusion?: Fusion): string {
  const data: Record<string, unknown> = { q: queryId, s: c.score, n: c.namespace, k: c.key };
  if (c.plan) {
    data.t = c.plan.terms;
    data.a = c.plan.avgLengths;
  }
  if (fusion) data.f = fusion;
  const json = JSON.stringify(data);
  const plain = Buffer.from(json).toString("base64url");
  if (plain.length <= MAX_CURSOR_CHARS) return plain;
  const packed = `z.${deflateRawSync(json).toString("base64url")}`;
  if (packed.length <= MAX_CURSOR_CHARS || !c.plan) return packed;
  return encodeCursor({ score: c.score, namespace: c.namespace, key: c.key }, queryId, fusion);
}

export function decodeCursor(
  cursor: string,
  queryId: string,
  text: string,
  mode: "fulltext" | "fuzzy" | "hybrid" | undefined,
): { after: SearchCursor; fusion?: Fusion } {
  let parsed: Record<string, unknown> | undefined;
  try {
    const bytes = cursor.startsWith("z.")
      ? inflateRawSync(Buffer.from(cursor.slice(2), "base64url"), { maxOutputLength: 1 << 20 })
      : Buffer.from(cursor, "base64url");
    parsed = JSON.parse(bytes.toString("utf8"));
  } catch {
    parsed = undefined;
  }
  const finite = (x: unknown) => typeof x === "number" && Number.isFinite(x);
  const numbers = (x: unknown, n: number) => Array.isArray(x) && x.length === n && x.every(finite);
  const valid =
    parsed !== null &&
    typeof parsed === "object" &&
    !Array.isArray(parsed) &&
    typeof parsed.q === "string" &&
    finite(parsed.s) &&
    typeof parsed.n === "string" &&
    typeof parsed.k === "string" &&
    (parsed.t === undefined ||
      (Array.isArray(parsed.t) &&
        parsed.t.every(
          (t) =>
            Array.isArray(t) && t.length === 3 && typeof t[0] === "string" && finite(t[1]) && finite(t[2]),
        ))) &&
    (parsed.a === undefined || numbers(parsed.a, 3)) &&
    (parsed.t === undefined) === (parsed.a === undefined) &&
    (parsed.f === undefined || numbers(parsed.f, 3));
  if (!valid || !parsed) {
    throw new MemoryError(
      "INVALID_INPUT",
      "cursor is not valid: pass the nextCursor of the previous page unchanged",
    );
  }
  if (parsed.q !== queryId) {
    throw new MemoryError(
      "INVALID_INPUT",
      "cursor belongs to a different query: repeat the same query fields with the cursor, or drop the cursor",
    );
  }
  const after: SearchCursor = {
    score: parsed.s as number,
    namespace: parsed.n as string,
    key: parsed.k as string,
  };
  if (parsed.t !== undefined && mode !== undefined) {
    after.plan = {
      text,
      mode,
      terms: parsed.t as SearchPlan["terms"],
      avgLengths: parsed.a as SearchPlan["avgLengths"],
    };
  }
  return { after, ...(parsed.f !== undefined ? { fusion: parsed.f as Fusion } : {}) };
}
