/**
 * Code-aware word splitting.
 *
 * Memory entries mix prose with identifiers, so one identifier must be findable by its
 * whole spelling and by its parts: `authService`, `auth_service`, `auth-service`,
 * `AuthService` and `HTTPServer` each yield the joined word (`authservice`, `httpserver`)
 * plus the parts (`auth`, `service` / `http`, `server`). Dotted paths (`db.pool.size`) work
 * the same way. Joining parts without separators makes every spelling style of one
 * identifier produce the same whole token, so `auth_service` finds `AuthService`.
 */

/**
 * A word: letters/digits (with combining marks), optionally chained by `_ - .` to more of
 * them. The separator must be followed by a word character, so "end." is just "end".
 */
const COMPOUND = /[\p{L}\p{N}\p{M}]+(?:[._-]+[\p{L}\p{N}\p{M}]+)*/gu;
const SEPARATORS = /[._-]+/;
/** lower→Upper, UPPER→Upper+lower (HTTPServer), letter↔digit. */
const CASE_BOUNDARY =
  /(?<=[\p{Ll}\p{N}])(?=\p{Lu})|(?<=\p{Lu})(?=\p{Lu}\p{Ll})|(?<=\p{L})(?=\p{N})|(?<=\p{N})(?=\p{L})/u;
const NON_ASCII = /[\u0080-\uffff]/;
/** The common case (a plain lower-case word) has nothing to split. */
const PLAIN = /^[a-z]+$/;

/** Tokens longer than this are blobs (hashes, base64), not words anyone types. */
export const MAX_TOKEN_LENGTH = 64;

/**
 * Calls `emit` for every token in `text`, lower-cased, in reading order: for a compound
 * word first the joined whole, then each part. Single ASCII characters are dropped (the
 * "s" of "it's", the "e" and "g" of "e.g.") because they only add noise.
 *
 * @example
 *   const out: string[] = [];
 *   tokenize("HTTPServer config", (t) => out.push(t));
 *   // out = ["httpserver", "http", "server", "config"]
 */
export function tokenize(text: string, emit: (token: string) => void): void {
  // NFKC folds full-width and compatibility forms so "ｃｏｄｅ" meets "code"; pure ASCII needs none.
  const normalized = NON_ASCII.test(text) ? text.normalize("NFKC") : text;
  for (const match of normalized.matchAll(COMPOUND)) {
    const word = match[0];
    if (PLAIN.test(word)) {
      keep(word, emit);
      continue;
    }
    const parts = word.split(SEPARATORS).flatMap((p) => p.split(CASE_BOUNDARY));
    if (parts.length === 1) {
      keep(word.toLowerCase(), emit);
      continue;
    }
    keep(parts.join("").toLowerCase(), emit);
    for (const part of parts) keep(part.toLowerCase(), emit);
  }
}

function keep(token: string, emit: (token: string) => void): void {
  if (token.length > MAX_TOKEN_LENGTH || (token.length === 1 && token.charCodeAt(0) < 128)) return;
  emit(token);
}

/** Convenience for tests and queries: all tokens of `text` as an array. */
export function tokens(text: string): string[] {
  const out: string[] = [];
  tokenize(text, (t) => out.push(t));
  return out;
}
