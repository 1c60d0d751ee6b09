/**
 * Marks the words of a text that a query matched: the same word, a word it is a prefix of, or
 * one a typo away (the search is typo-tolerant, so "databse" finds and marks "database").
 * Built as DOM nodes, never as HTML, so stored text cannot inject markup.
 */

function words(query: string): string[] {
  return query
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter((w) => w.length > 1);
}

/** Levenshtein distance, stopping early past `max`. */
function within(a: string, b: string, max: number): boolean {
  if (Math.abs(a.length - b.length) > max) return false;
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    let best = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      const v = Math.min((prev[j] ?? 0) + 1, (cur[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + cost);
      cur.push(v);
      if (v < best) best = v;
    }
    if (best > max) return false;
    prev = cur;
  }
  return (prev[b.length] ?? max + 1) <= max;
}

function matches(word: string, terms: readonly string[]): boolean {
  const w = word.toLowerCase();
  return terms.some(
    (t) =>
      w === t ||
      (t.length >= 3 && w.startsWith(t)) ||
      (t.length >= 4 && w.length >= 4 && within(w, t, t.length >= 8 ? 2 : 1)),
  );
}

/** `text` as nodes, the matched words wrapped in <mark>. */
export function highlighted(text: string, query: string): Node[] {
  const terms = words(query);
  if (terms.length === 0) return [document.createTextNode(text)];
  const out: Node[] = [];
  let plain = "";
  for (const part of text.split(/([\p{L}\p{N}]+)/u)) {
    if (part && /[\p{L}\p{N}]/u.test(part) && matches(part, terms)) {
      if (plain) out.push(document.createTextNode(plain));
      plain = "";
      const m = document.createElement("mark");
      m.textContent = part;
      out.push(m);
    } else plain += part;
  }
  if (plain) out.push(document.createTextNode(plain));
  return out;
}
