/**
 * A compact Porter (1980) stemmer for lower-case English words.
 *
 * Porter rather than a plain S-stemmer because derivational families must meet:
 * "replication", "replicate" and "replicated" all become "replic"; "authentication" and
 * "authenticate" both become "authent". The stem is an index key, never shown to anyone, so
 * it does not need to be a real word.
 *
 * Only ASCII a-z words of length >= 3 are stemmed; anything else (identifiers with digits,
 * other scripts) is returned unchanged, because English suffix rules would only damage it.
 */

const PLAIN_WORD = /^[a-z]+$/;

function isConsonant(w: string, i: number): boolean {
  const c = w.charCodeAt(i);
  // a e i o u
  if (c === 97 || c === 101 || c === 105 || c === 111 || c === 117) return false;
  // "y" is a vowel after a consonant ("happy"), a consonant at the start or after a vowel ("toy").
  if (c === 121) return i === 0 || !isConsonant(w, i - 1);
  return true;
}

/** Porter's m: the number of vowel-consonant sequences in w[0, end). */
function measure(w: string, end: number): number {
  let m = 0;
  let i = 0;
  while (i < end && isConsonant(w, i)) i++;
  while (i < end) {
    while (i < end && !isConsonant(w, i)) i++;
    if (i >= end) break;
    m++;
    while (i < end && isConsonant(w, i)) i++;
  }
  return m;
}

function hasVowel(w: string, end: number): boolean {
  for (let i = 0; i < end; i++) if (!isConsonant(w, i)) return true;
  return false;
}

function endsDoubleConsonant(w: string, end: number): boolean {
  return end >= 2 && w[end - 1] === w[end - 2] && isConsonant(w, end - 1);
}

/** consonant-vowel-consonant at the end, last one not w, x or y ("hop", not "snow"). */
function endsCvc(w: string, end: number): boolean {
  if (end < 3) return false;
  if (!isConsonant(w, end - 1) || isConsonant(w, end - 2) || !isConsonant(w, end - 3)) return false;
  const c = w[end - 1];
  return c !== "w" && c !== "x" && c !== "y";
}

type Rule = readonly [suffix: string, replacement: string];

/** Applies the first (longest-listed) matching rule if the remaining stem has m > minM. */
function applyRules(w: string, rules: readonly Rule[], minM: number): string {
  for (const [suffix, replacement] of rules) {
    if (!w.endsWith(suffix)) continue;
    const stemEnd = w.length - suffix.length;
    return measure(w, stemEnd) > minM ? w.slice(0, stemEnd) + replacement : w;
  }
  return w;
}

// Ordered so that a longer suffix is tried before a shorter one it ends with.
const STEP2_RULES: Rule[] = [
  ["ational", "ate"],
  ["tional", "tion"],
  ["enci", "ence"],
  ["anci", "ance"],
  ["izer", "ize"],
  ["bli", "ble"],
  ["alli", "al"],
  ["entli", "ent"],
  ["eli", "e"],
  ["ousli", "ous"],
  ["ization", "ize"],
  ["ation", "ate"],
  ["ator", "ate"],
  ["alism", "al"],
  ["iveness", "ive"],
  ["fulness", "ful"],
  ["ousness", "ous"],
  ["aliti", "al"],
  ["iviti", "ive"],
  ["biliti", "ble"],
  ["logi", "log"],
];
const STEP2: readonly Rule[] = STEP2_RULES.sort((a, b) => b[0].length - a[0].length);

const STEP3: readonly Rule[] = [
  ["icate", "ic"],
  ["ative", ""],
  ["alize", "al"],
  ["iciti", "ic"],
  ["ical", "ic"],
  ["ful", ""],
  ["ness", ""],
];

const STEP4 = [
  "ement",
  "ance",
  "ence",
  "able",
  "ible",
  "ment",
  "ant",
  "ent",
  "ism",
  "ate",
  "iti",
  "ous",
  "ive",
  "ize",
  "ion",
  "al",
  "er",
  "ic",
  "ou",
];

function step1ab(w: string): string {
  if (w.endsWith("sses") || w.endsWith("ies")) w = w.slice(0, -2);
  else if (w.endsWith("s") && !w.endsWith("ss")) w = w.slice(0, -1);

  if (w.endsWith("eed")) {
    return measure(w, w.length - 3) > 0 ? w.slice(0, -1) : w;
  }
  let cut = 0;
  if (w.endsWith("ed") && hasVowel(w, w.length - 2)) cut = 2;
  else if (w.endsWith("ing") && hasVowel(w, w.length - 3)) cut = 3;
  if (cut === 0) return w;
  w = w.slice(0, -cut);
  if (w.endsWith("at") || w.endsWith("bl") || w.endsWith("iz")) return `${w}e`;
  if (endsDoubleConsonant(w, w.length)) {
    const last = w[w.length - 1];
    return last === "l" || last === "s" || last === "z" ? w : w.slice(0, -1);
  }
  if (measure(w, w.length) === 1 && endsCvc(w, w.length)) return `${w}e`;
  return w;
}

function step4(w: string): string {
  for (const suffix of STEP4) {
    if (!w.endsWith(suffix)) continue;
    const stemEnd = w.length - suffix.length;
    if (measure(w, stemEnd) <= 1) return w;
    if (suffix === "ion") {
      const before = w[stemEnd - 1];
      if (before !== "s" && before !== "t") return w;
    }
    return w.slice(0, stemEnd);
  }
  return w;
}

function step5(w: string): string {
  if (w.endsWith("e")) {
    const m = measure(w, w.length - 1);
    if (m > 1 || (m === 1 && !endsCvc(w, w.length - 1))) w = w.slice(0, -1);
  }
  if (w.endsWith("ll") && measure(w, w.length) > 1) w = w.slice(0, -1);
  return w;
}

/**
 * Stems one lower-case word.
 *
 * @example stem("replicated") // "replic"
 * @example stem("authentication") === stem("authenticate") // true
 */
export function stem(word: string): string {
  if (word.length < 3 || !PLAIN_WORD.test(word)) return word;
  let w = step1ab(word);
  if (w.endsWith("y") && hasVowel(w, w.length - 1)) w = `${w.slice(0, -1)}i`;
  w = applyRules(w, STEP2, 0);
  w = applyRules(w, STEP3, 0);
  w = step4(w);
  return step5(w);
}
