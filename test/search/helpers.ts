import type { SearchDoc, SearchFilter } from "../../src/search/api.js";

export const NOW = 1_700_000_000_000;
export const DAY = 86_400_000;

/** A document with defaults for everything a test does not care about. */
export function doc(partial: Partial<SearchDoc> & { key: string }): SearchDoc {
  return {
    namespace: "default",
    value: "",
    tags: [],
    type: "semantic",
    updatedAt: NOW - DAY,
    ...partial,
  };
}

export function filter(extra: Partial<SearchFilter> = {}): SearchFilter {
  return { now: NOW, ...extra };
}

/** n documents over a few code-like words, with repeated keys (later ones replace earlier ones). */
export function buildDocs(n: number): SearchDoc[] {
  const words = ["deploy", "rollback", "authService", "HTTPServer", "replication", "größe", "cache", "p99"];
  return Array.from({ length: n }, (_, i) =>
    doc({
      namespace: `ns${i % 3}`,
      key: `entry-${i % 400}`, // duplicates: later ones replace earlier ones
      value: {
        text: Array.from({ length: 5 + (i % 9) }, (_, j) => words[(i + j * j) % words.length]).join(" "),
        i,
      },
      tags: [`t${i % 5}`],
    }),
  );
}

export const BUILD_QUERIES = ["deploy cache", "auth server", "replicaton", "größe", "p99 rollback"];
