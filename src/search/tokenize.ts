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
  if (NON_ASCII.test(text)) {
    for (const match of text.normalize("NFKC").matchAll(COMPOUND)) splitWord(match[0], emit);
  } else {
    scanAscii(text, emit);
  }
}

/** One compound word (a COMPOUND match) → its tokens. */
function splitWord(word: string, emit: (token: string) => void): void {
  if (PLAIN.test(word)) {
    keep(word, emit);
    return;
  }
  const parts = word.split(SEPARATORS).flatMap((p) => p.split(CASE_BOUNDARY));
  if (parts.length === 1) {
    keep(word.toLowerCase(), emit);
    return;
  }
  keep(parts.join("").toLowerCase(), emit);
  for (const part of parts) keep(part.toLowerCase(), emit);
}

const LOWER = 1;
const FIRST_UPPER = 2;
const DIGIT = 4;
const LATER_UPPER = 8;
const SEPARATED = 16;

function isWordChar(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57);
}

function isSeparator(c: number): boolean {
  return c === 46 || c === 95 || c === 45; // . _ -
}

/**
 * The same tokens as the COMPOUND regex path, for ASCII text, without a match object per
 * word: the scanner finds each compound word and classifies its characters; the common
 * shapes (lower-case words, numbers, Capitalized and UPPER words) have no split point and
 * become one token directly, anything else goes through `splitWord`.
 */
function scanAscii(text: string, emit: (token: string) => void): void {
  const n = text.length;
  let i = 0;
  while (i < n) {
    if (!isWordChar(text.charCodeAt(i))) {
      i++;
      continue;
    }
    const start = i;
    let kind = 0;
    for (;;) {
      for (; i < n; i++) {
        const c = text.charCodeAt(i);
        if (c >= 97 && c <= 122) kind |= LOWER;
        else if (c >= 65 && c <= 90) kind |= i === start ? FIRST_UPPER : LATER_UPPER;
        else if (c >= 48 && c <= 57) kind |= DIGIT;
        else break;
      }
      let j = i;
      while (j < n && isSeparator(text.charCodeAt(j))) j++;
      if (j === i || j === n || !isWordChar(text.charCodeAt(j))) break;
      kind |= SEPARATED;
      i = j;
    }
    const length = i - start;
    if (length === 1) continue; // a single ASCII character
    if (kind === LOWER || kind === DIGIT) {
      if (length <= MAX_TOKEN_LENGTH) emit(text.slice(start, i));
    } else if (kind === (FIRST_UPPER | LOWER) || kind === (FIRST_UPPER | LATER_UPPER)) {
      if (length <= MAX_TOKEN_LENGTH) emit(text.slice(start, i).toLowerCase());
    } else {
      splitWord(text.slice(start, i), emit);
    }
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
