/** How verbs read their option values: comma-separated lists, numbers, JSON. */
import { errorMessage, MemoryError } from "../domain/errors.js";

/** "a, b,c" -> ["a", "b", "c"] */
export function list(text: string): string[] {
  return text
    .split(",")
    .map((x) => x.trim())
    .filter(Boolean);
}

/** A number as typed; the operation's schema says what range it must be in. */
export function number(text: string): number {
  return Number(text);
}

/** VALUE of `store`: JSON when it parses as JSON, else the text itself. */
export function jsonOrText(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

export function json(text: string, flag: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new MemoryError("INVALID_INPUT", `${flag} is not valid JSON: ${errorMessage(error)}`);
  }
}
