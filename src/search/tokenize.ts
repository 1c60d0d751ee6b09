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
 * Receives a token as a slice of ASCII text instead of a string: `text[start, end)`
 * lower-cased (`charCode | 32`, exact for the letters and digits tokens consist of), with
 * `hash` = `wordHash` of that lower-cased token and `packed0`, `packed1` = `packWord` of its
 * first ten characters. Lets an index look a token up without allocating a string for it,
 * and compare a short word without reading its string.
 */
export type RangeSink = (
  text: string,
  start: number,
  end: number,
  hash: number,
  packed0: number,
  packed1: number,
) => void;

/** Longest word `packWord` holds. */
export const PACKED_MAX = 10;

/** 6-bit code (1..36) of a lower-cased ASCII letter or digit. */
function charCode6(c: number): number {
  return c >= 97 ? c - 96 : c - 21;
}

/**
 * A word of at most `PACKED_MAX` lower-case ASCII letters and digits as two integers (five
 * 6-bit codes each), written to `out[0]`, `out[1]`; returns false (and writes -1) for any
 * other word. Two packable words are equal exactly when their packings are.
 */
export function packWord(word: string, out: Int32Array): boolean {
  out[0] = -1;
  out[1] = -1;
  if (word.length > PACKED_MAX) return false;
  let p0 = 0;
  let p1 = 0;
  for (let k = 0; k < word.length; k++) {
    const c = word.charCodeAt(k);
    if (!((c >= 97 && c <= 122) || (c >= 48 && c <= 57))) return false;
    if (k < 5) p0 = (p0 << 6) | charCode6(c);
    else p1 = (p1 << 6) | charCode6(c);
  }
  out[0] = p0;
  out[1] = p1;
  return true;
}

const FNV_OFFSET = 0x811c9dc5 | 0;
const FNV_PRIME = 0x01000193;

/** FNV-1a over `charCode | 32` of each character: the hash `RangeSink` receives. */
export function wordHash(word: string): number {
  let h = FNV_OFFSET;
  for (let i = 0; i < word.length; i++) h = Math.imul(h ^ (word.charCodeAt(i) | 32), FNV_PRIME);
  return h;
}

/**
 * Calls `emit` for every token in `text`, lower-cased, in reading order: for a compound
 * word first the joined whole, then each part. A one-character word is a token ("C", "R",
 * "x", "5": languages, variables, versions), but not as a part of a compound or after an
 * apostrophe (the "e" and "g" of "e.g.", the "s" of "it's"), where it is only noise. With `range`,
 * tokens that are a plain slice of ASCII text go there instead of `emit` (see `RangeSink`).
 *
 * @example
 *   const out: string[] = [];
 *   tokenize("HTTPServer config", (t) => out.push(t));
 *   // out = ["httpserver", "http", "server", "config"]
 */
export function tokenize(text: string, emit: (token: string) => void, range?: RangeSink): void {
  // NFKC folds full-width and compatibility forms so "ｃｏｄｅ" meets "code"; pure ASCII needs none.
  if (NON_ASCII.test(text)) {
    const folded = text.normalize("NFKC");
    for (const match of folded.matchAll(COMPOUND)) {
      const at = match.index;
      splitWord(match[0], emit, at === 0 || !isApostrophe(folded.charCodeAt(at - 1)));
    }
  } else {
    scanAscii(text, emit, range ?? ((t, start, end) => emit(t.slice(start, end).toLowerCase())));
  }
}

/** One compound word (a COMPOUND match) → its tokens. */
function splitWord(word: string, emit: (token: string) => void, standalone: boolean): void {
  if (PLAIN.test(word)) {
    keep(word, emit, standalone);
    return;
  }
  const parts = word.split(SEPARATORS).flatMap((p) => p.split(CASE_BOUNDARY));
  if (parts.length === 1) {
    keep(word.toLowerCase(), emit, standalone);
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

/** ' and ’: what comes right after one is a clitic ("it's", "don’t"), not a word. */
function isApostrophe(c: number): boolean {
  return c === 39 || c === 0x2019;
}

const isLower = (c: number) => c >= 97 && c <= 122;
const isUpper = (c: number) => c >= 65 && c <= 90;
const isDigit = (c: number) => c >= 48 && c <= 57;

/**
 * The same tokens as the COMPOUND regex path, for ASCII text, without a match object or a
 * string per word: the scanner finds each compound word, classifies its characters and
 * hashes it; the common shapes (lower-case words, numbers, Capitalized and UPPER words) have
 * no split point and are one token, handed over as a range. Identifiers are split by
 * `splitAscii`.
 */
function scanAscii(text: string, emit: (token: string) => void, range: RangeSink): void {
  const n = text.length;
  let i = 0;
  while (i < n) {
    if (!isWordChar(text.charCodeAt(i))) {
      i++;
      continue;
    }
    const start = i;
    let kind = 0;
    let h = FNV_OFFSET;
    let p0 = 0;
    let p1 = 0;
    for (;;) {
      for (; i < n; i++) {
        const c = text.charCodeAt(i);
        if (c >= 97 && c <= 122) kind |= LOWER;
        else if (c >= 65 && c <= 90) kind |= i === start ? FIRST_UPPER : LATER_UPPER;
        else if (c >= 48 && c <= 57) kind |= DIGIT;
        else break;
        const lc = c | 32;
        h = Math.imul(h ^ lc, FNV_PRIME);
        const k = i - start;
        if (k < 5) p0 = (p0 << 6) | charCode6(lc);
        else if (k < PACKED_MAX) p1 = (p1 << 6) | charCode6(lc);
      }
      let j = i;
      while (j < n && isSeparator(text.charCodeAt(j))) j++;
      if (j === i || j === n || !isWordChar(text.charCodeAt(j))) break;
      kind |= SEPARATED;
      i = j;
    }
    const length = i - start;
    if (length === 1) {
      if (start === 0 || !isApostrophe(text.charCodeAt(start - 1))) range(text, start, i, h, p0, p1);
      continue;
    }
    if (
      kind === LOWER ||
      kind === DIGIT ||
      kind === (FIRST_UPPER | LOWER) ||
      kind === (FIRST_UPPER | LATER_UPPER)
    ) {
      if (length <= MAX_TOKEN_LENGTH) range(text, start, i, h, p0, p1);
    } else {
      splitAscii(text, start, i, emit, range);
    }
  }
}

// Part boundaries of the word being split (reused: words are at most a few hundred parts).
let partStarts = new Int32Array(64);
let partEnds = new Int32Array(64);

/** Whether a case boundary (see CASE_BOUNDARY) falls between text[p - 1] and text[p]. */
function caseBoundary(text: string, p: number, end: number): boolean {
  const a = text.charCodeAt(p - 1);
  const b = text.charCodeAt(p);
  if (isUpper(b)) {
    if (isLower(a) || isDigit(a)) return true;
    return isUpper(a) && p + 1 < end && isLower(text.charCodeAt(p + 1));
  }
  if (isDigit(b)) return isLower(a) || isUpper(a);
  return isDigit(a) && (isLower(b) || isUpper(b));
}

/** `splitWord` for an ASCII compound `text[start, end)`: split at separators and case boundaries. */
function splitAscii(
  text: string,
  start: number,
  end: number,
  emit: (token: string) => void,
  range: RangeSink,
) {
  let parts = 0;
  let i = start;
  while (i < end) {
    while (i < end && isSeparator(text.charCodeAt(i))) i++;
    const from = i;
    i++;
    while (i < end && !isSeparator(text.charCodeAt(i)) && !caseBoundary(text, i, end)) i++;
    if (parts === partStarts.length) {
      const grow = (a: Int32Array) => {
        const b = new Int32Array(a.length * 2);
        b.set(a);
        return b;
      };
      partStarts = grow(partStarts);
      partEnds = grow(partEnds);
    }
    partStarts[parts] = from;
    partEnds[parts++] = i;
  }
  if (parts === 1) {
    keepRange(text, start, end, range);
    return;
  }
  let whole = "";
  for (let p = 0; p < parts; p++) whole += text.slice(partStarts[p], partEnds[p]);
  keep(whole.toLowerCase(), emit);
  for (let p = 0; p < parts; p++) keepRange(text, partStarts[p] as number, partEnds[p] as number, range);
}

function keepRange(text: string, start: number, end: number, range: RangeSink): void {
  const length = end - start;
  if (length > MAX_TOKEN_LENGTH || length === 1) return;
  let h = FNV_OFFSET;
  let p0 = 0;
  let p1 = 0;
  for (let i = start; i < end; i++) {
    const lc = text.charCodeAt(i) | 32;
    h = Math.imul(h ^ lc, FNV_PRIME);
    const k = i - start;
    if (k < 5) p0 = (p0 << 6) | charCode6(lc);
    else if (k < PACKED_MAX) p1 = (p1 << 6) | charCode6(lc);
  }
  range(text, start, end, h, p0, p1);
}

function keep(token: string, emit: (token: string) => void, standalone = false): void {
  if (token.length > MAX_TOKEN_LENGTH || (token.length === 1 && !standalone && token.charCodeAt(0) < 128))
    return;
  emit(token);
}

/** Convenience for tests and queries: all tokens of `text` as an array. */
export function tokens(text: string): string[] {
  const out: string[] = [];
  tokenize(text, (t) => out.push(t));
  return out;
}
