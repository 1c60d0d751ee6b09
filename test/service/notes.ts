/** The entries the start-up and saved-index tests store, and where a bank saves its index. */
import path from "node:path";

export const WORDS = [
  "alpha",
  "bravo",
  "charlie",
  "delta",
  "echo",
  "foxtrot",
  "golf",
  "hotel",
  "india",
  "juliet",
];

/** `n` notes: two of WORDS each, a numbered item, one of three tags. */
export function notes(n: number) {
  return Array.from({ length: n }, (_, i) => ({
    key: `note-${i}`,
    value: `${WORDS[i % 10]} ${WORDS[(i * 7) % 10]} item${i % 97}`,
    tags: [WORDS[i % 3] as string],
  }));
}

/** The saved search index of the project in `dir` (its default store). */
export function savedIndexOf(dir: string): string {
  return path.join(dir, "memory", "claude-flow-data.index");
}
