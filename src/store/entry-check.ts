/**
 * What a well-formed stored entry is, checked by hand rather than with the zod schema because it
 * runs for every entry of every snapshot load (a million at a time). Anything that passes can be
 * indexed, answered over MCP (it satisfies the output schemas) and compared by version.
 */
import { MEMORY_TYPES } from "../domain/entry.js";

const TYPES: ReadonlySet<string> = new Set(MEMORY_TYPES);
const NAMESPACE_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
/** The Date range: later instants cannot be represented, so they cannot be compared either. */
const MAX_TIME = 8.64e15;

function isDate(v: unknown): boolean {
  if (typeof v !== "string") return false;
  if (isCanonicalIso(v)) return true;
  const t = Date.parse(v);
  return Number.isFinite(t) && Math.abs(t) <= MAX_TIME;
}

const DIGIT_AT = [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18, 20, 21, 22];
const digit = (s: string, i: number) => {
  const c = s.charCodeAt(i);
  return c >= 48 && c <= 57 ? c - 48 : -100;
};

/**
 * `YYYY-MM-DDTHH:mm:ss.sssZ` as toISOString writes it, with fields in range: what every stored
 * date is. Checked by character codes because Date.parse per field per entry is most of the cost
 * of checking a million entries; anything else falls back to Date.parse.
 */
function isCanonicalIso(s: string): boolean {
  if (s.length !== 24 || s[4] !== "-" || s[7] !== "-" || s[10] !== "T" || s[13] !== ":") return false;
  if (s[16] !== ":" || s[19] !== "." || s[23] !== "Z") return false;
  for (const i of DIGIT_AT) if (digit(s, i) < 0) return false;
  const month = digit(s, 5) * 10 + digit(s, 6);
  const day = digit(s, 8) * 10 + digit(s, 9);
  const hour = digit(s, 11) * 10 + digit(s, 12);
  return (
    month >= 1 && month <= 12 && day >= 1 && day <= 31 && hour < 24 && digit(s, 14) < 6 && digit(s, 17) < 6
  );
}

/** A store has few namespaces and a million entries: each name is matched against the rule once. */
const KNOWN_NAMESPACES = new Set<string>();
function validNamespace(ns: string): boolean {
  if (KNOWN_NAMESPACES.has(ns)) return true;
  if (!NAMESPACE_RE.test(ns)) return false;
  if (KNOWN_NAMESPACES.size < 10_000) KNOWN_NAMESPACES.add(ns);
  return true;
}

/** Why `e` is not a well-formed entry, or undefined when it is. */
export function entryDefect(e: unknown): string | undefined {
  if (e === null || typeof e !== "object" || Array.isArray(e)) return "not an object";
  const x = e as Record<string, unknown>;
  if (typeof x.id !== "string" || x.id.length === 0) return "id is not a non-empty string";
  if (typeof x.key !== "string" || x.key.length === 0) return "key is not a non-empty string";
  if (typeof x.namespace !== "string" || !validNamespace(x.namespace)) return "namespace is invalid";
  if (!("value" in x) || x.value === undefined) return "value is missing";
  if (typeof x.type !== "string" || !TYPES.has(x.type)) return "type is not a memory type";
  if (!Array.isArray(x.tags)) return "tags is not an array of strings";
  for (const t of x.tags) if (typeof t !== "string") return "tags is not an array of strings";
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
