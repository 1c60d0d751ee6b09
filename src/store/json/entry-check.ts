/**
 * What a well-formed stored entry is, checked by hand rather than with the zod schema because it
 * runs for every entry of every snapshot load (a million at a time). Anything that passes can be
 * indexed, answered over MCP (it satisfies the output schemas) and compared by version.
 */
import { MEMORY_TYPES } from "../../domain/entry.js";

const TYPES: ReadonlySet<string> = new Set(MEMORY_TYPES);
const NAMESPACE_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
/** The Date range: later instants cannot be represented, so they cannot be compared either. */
const MAX_TIME = 8.64e15;

function isDate(v: unknown): boolean {
  if (typeof v !== "string") return false;
  const t = Date.parse(v);
  return Number.isFinite(t) && Math.abs(t) <= MAX_TIME;
}

/** Why `e` is not a well-formed entry, or undefined when it is. */
export function entryDefect(e: unknown): string | undefined {
  if (e === null || typeof e !== "object" || Array.isArray(e)) return "not an object";
  const x = e as Record<string, unknown>;
  if (typeof x.id !== "string" || x.id.length === 0) return "id is not a non-empty string";
  if (typeof x.key !== "string" || x.key.length === 0) return "key is not a non-empty string";
  if (typeof x.namespace !== "string" || !NAMESPACE_RE.test(x.namespace)) return "namespace is invalid";
  if (!("value" in x) || x.value === undefined) return "value is missing";
  if (typeof x.type !== "string" || !TYPES.has(x.type)) return "type is not a memory type";
  if (!Array.isArray(x.tags) || !x.tags.every((t) => typeof t === "string")) {
    return "tags is not an array of strings";
  }
  if (x.metadata === null || typeof x.metadata !== "object" || Array.isArray(x.metadata)) {
    return "metadata is not an object";
  }
  if (!isDate(x.createdAt)) return "createdAt is not a date";
  if (!isDate(x.updatedAt)) return "updatedAt is not a date";
  if (x.expiresAt !== undefined && !isDate(x.expiresAt)) return "expiresAt is not a date";
  if (!Number.isSafeInteger(x.version) || (x.version as number) < 1) {
    return "version is not a whole number from 1 to 2^53-1";
  }
  if (x.retention !== undefined && typeof x.retention !== "string") return "retention is not a string";
  return undefined;
}

/** "namespace/key" of a damaged entry when those two fields can still be read, for reports. */
export function entryLabel(e: unknown): string | undefined {
  const x = e as Record<string, unknown> | null;
  if (!x || typeof x !== "object") return undefined;
  return typeof x.namespace === "string" && typeof x.key === "string"
    ? `'${x.key.slice(0, 200)}' in namespace '${x.namespace.slice(0, 64)}'`
    : undefined;
}
