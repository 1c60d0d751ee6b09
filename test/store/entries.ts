/** Entries for store tests, with defaults for every field a test does not care about. */
import type { Entry } from "../../src/domain/entry.js";

let ids = 0;
export function entry(key: string, value: unknown, namespace = "default", version = 1): Entry {
  const now = new Date().toISOString();
  return {
    id: `id-${++ids}`,
    key,
    namespace,
    value,
    type: "semantic",
    tags: [],
    metadata: {},
    createdAt: now,
    updatedAt: now,
    version,
  };
}
