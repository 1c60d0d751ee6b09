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
