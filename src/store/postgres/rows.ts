/**
 * How an entry is spelled in the tables. The entry itself travels as JSON text (JSON.stringify
 * escapes every control character and lone surrogate, so the text is valid UTF-8 without a NUL
 * byte and reads back exactly); the `namespace` and `key` columns exist for the primary key and
 * for people reading the tables with SQL.
 */
import type { Entry } from "../../domain/entry.js";
import { entryDefect } from "../entry-check.js";

/**
 * The key as a text column. PostgreSQL text cannot hold a NUL, and a lone UTF-16 surrogate
 * (a key JavaScript allows) would be turned into U+FFFD on the way, so two different keys could
 * land on one row. Such keys, and any starting with the marker U+0001, are stored as the marker
 * followed by their JSON string; every other key as itself. Both spellings are one-to-one and
 * cannot meet: a plain spelling never starts with the marker.
 */
/** In a /u pattern a well-formed pair is one code point: only an unpaired half matches. */
const LONE_SURROGATE = /\p{Cs}/u;

export function keyColumn(key: string): string {
  if (!LONE_SURROGATE.test(key) && !key.includes("\u0000") && !key.startsWith("\u0001")) return key;
  return `\u0001${JSON.stringify(key)}`;
}

export function slot(namespace: string, key: string): string {
  return `${namespace}\u0000${key}`;
}

export function bodyOf(entry: Entry): string {
  return JSON.stringify(entry);
}

/**
 * A row's body as an entry, or why it is not one (a row written by hand with SQL, say). pg has
 * already parsed the json column.
 */
export function entryFromRow(row: {
  namespace: string;
  key: string;
  body: unknown;
}): { entry: Entry } | { defect: string } {
  const defect = entryDefect(row.body);
  if (defect) return { defect };
  const entry = row.body as Entry;
  if (entry.namespace !== row.namespace || keyColumn(entry.key) !== row.key) {
    return { defect: "its body names another namespace or key than its row" };
  }
  return { entry };
}
