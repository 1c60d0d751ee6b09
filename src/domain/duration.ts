/** Durations as people write them ("30d", "12h"): TTLs of entries and retention policies of namespaces. */
import { z } from "zod";
import { MemoryError } from "./errors.js";
import { printable } from "./input.js";

const DURATION_RE = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w|y)$/;
const UNIT_MS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
  y: 31_536_000_000,
};

/** Parses "30d", "12h", "90m", "45s", "2w", "1y" into milliseconds; undefined when not a duration. */
export function parseDuration(text: string): number | undefined {
  const m = DURATION_RE.exec(text.trim());
  if (!m?.[1] || !m[2]) return undefined;
  const ms = Number(m[1]) * (UNIT_MS[m[2]] ?? Number.NaN);
  return Number.isFinite(ms) && ms > 0 ? ms : undefined;
}

/**
 * The longest TTL or retention, 1000 years: a date that far ahead is still an ISO 8601 date with
 * a 4-digit year, far inside what a JavaScript Date holds (8.64e15 ms, year 275760). Longer
 * durations only ever meant "keep it": leave the TTL out, or use "permanent".
 */
export const MAX_DURATION_MS = 1000 * 31_536_000_000;
export const MAX_DURATION_TEXT = "1000y (31536000000 seconds)";

/** A number of seconds as typed on a command line ("2", "90.5"). */
const SECONDS_RE = /^\s*\d+(?:\.\d+)?\s*$/;

export const TtlSchema = z
  .union([z.string(), z.number()], { error: "ttl must be a duration such as '30d' or '12h', or seconds" })
  .refine((t) => durationMs(t) > 0, {
    error: (iss) =>
      `ttl '${printable(iss.input)}' is invalid: use a duration such as '30d', '12h', '15m', '45s', or a number of seconds greater than 0`,
    abort: true,
  })
  .refine((t) => durationMs(t) <= MAX_DURATION_MS, {
    error: (iss) =>
      `ttl '${printable(iss.input)}' is too long: the longest ttl is ${MAX_DURATION_TEXT}; leave ttl out for an entry that does not expire`,
  })
  .describe(
    "Time to live: '30d', '12h', '15m', '45s', or a number of seconds (at most 1000y). Expired entries disappear.",
  );

/** Milliseconds of a TTL: a number (or a string of digits, as a command line passes it) is seconds. */
function durationMs(ttl: string | number): number {
  if (typeof ttl === "string" && SECONDS_RE.test(ttl)) return Number(ttl) * 1000;
  const ms = typeof ttl === "number" ? ttl * 1000 : (parseDuration(ttl) ?? Number.NaN);
  return Number.isFinite(ms) ? ms : Number.NaN;
}

export function ttlToMs(ttl: string | number): number {
  const ms = durationMs(ttl);
  if (!Number.isFinite(ms) || ms <= 0) {
    throw new MemoryError("INVALID_INPUT", `ttl '${printable(ttl)}' is invalid: use '30d', '12h' or seconds`);
  }
  if (ms > MAX_DURATION_MS) {
    throw new MemoryError(
      "INVALID_INPUT",
      `ttl '${printable(ttl)}' is too long: the longest ttl is ${MAX_DURATION_TEXT}; leave ttl out for an entry that does not expire`,
    );
  }
  return ms;
}
