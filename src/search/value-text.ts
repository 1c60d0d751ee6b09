/**
 * Turns an entry's JSON value into indexable text.
 *
 * Every string leaf is indexed; numbers too (ports, versions and ids get searched). Object
 * keys are indexed when they look like words (`retryPolicy`, `max_connections`) since they
 * often carry the meaning ("owner": "alice"); keys that are ids or blobs are skipped.
 * Booleans and null carry no words.
 */

/** Default cap on the text taken from one value: bounds the cost of one huge entry. */
export const DEFAULT_MAX_TEXT_CHARS = 64 * 1024;

/** Deeper nesting than this is not real data; stopping also bounds recursion. */
const MAX_DEPTH = 64;
const KEY_CHARS = /^[\p{L}\p{N}_$.-]{1,40}$/u;
const LETTER = /\p{L}/gu;

/** Mostly letters: `max_connections`, `v2`; not `c0ffee-0000-1111`. */
function isWordLikeKey(key: string): boolean {
  if (!KEY_CHARS.test(key)) return false;
  const letters = key.match(LETTER)?.length ?? 0;
  return letters * 2 >= key.length;
}

/**
 * Concatenates the text leaves of `value`, separated by newlines, at most `maxChars` long.
 *
 * @example flattenText({ owner: "alice", ports: [5432] }) // "owner\nalice\nports\n5432"
 */
export function flattenText(value: unknown, maxChars: number = DEFAULT_MAX_TEXT_CHARS): string {
  const parts: string[] = [];
  let budget = maxChars;
  const push = (s: string): boolean => {
    if (budget <= 0) return false;
    const piece = s.length > budget ? s.slice(0, budget) : s;
    parts.push(piece);
    budget -= piece.length + 1;
    return budget > 0;
  };
  const walk = (v: unknown, depth: number): boolean => {
    if (typeof v === "string") return push(v);
    if (typeof v === "number" || typeof v === "bigint")
      return Number.isFinite(Number(v)) ? push(String(v)) : true;
    if (v === null || typeof v !== "object" || depth >= MAX_DEPTH) return true;
    if (Array.isArray(v)) {
      for (const item of v) if (!walk(item, depth + 1)) return false;
      return true;
    }
    for (const [k, item] of Object.entries(v)) {
      if (isWordLikeKey(k) && !push(k)) return false;
      if (!walk(item, depth + 1)) return false;
    }
    return true;
  };
  walk(value, 0);
  return parts.join("\n");
}
