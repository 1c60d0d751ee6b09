/**
 * Untrusted input turned into typed values, or into one error an agent can act on: it names each
 * field, and echoes a bounded, escaped copy of the bad value.
 */
import type { z } from "zod";
import { MemoryError } from "./errors.js";

/** Parses input with a schema, turning zod issues into one MemoryError that names each field. */
export function parseInput<T extends z.ZodType>(schema: T, input: unknown, what = "input"): z.infer<T> {
  const r = schema.safeParse(input);
  if (r.success) return r.data;
  throw new MemoryError("INVALID_INPUT", formatIssues(r.error, what));
}

export function formatIssues(error: z.ZodError, what = "input"): string {
  const scope = what === "input" ? "" : what;
  return error.issues
    .slice(0, 10)
    .map((i) => {
      const at = i.path.map(String).join(".");
      const field = i.path.length ? String(i.path[i.path.length - 1]) : "";
      // Our messages usually start with the field's name already; don't say it twice.
      if (field && i.message.startsWith(field)) return scope ? `${scope}: ${i.message}` : i.message;
      const where = [scope, at].filter(Boolean).join(".");
      return where ? `${where}: ${i.message}` : i.message;
    })
    .join("; ");
}

/** A bounded, single-line rendering of untrusted input for error messages. */
export function printable(input: unknown, max = 80): string {
  const s = typeof input === "string" ? input : JSON.stringify(input);
  const clean = String(s).replace(
    // biome-ignore lint/suspicious/noControlCharactersInRegex: escaping them is the point
    /[\u0000-\u001f\u007f]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
  return clean.length > max ? `${clean.slice(0, max)}…` : clean;
}
