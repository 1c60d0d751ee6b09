/** How verbs read their option values: comma-separated lists, numbers, JSON. */
import { errorMessage, MemoryError } from "../domain/errors.js";

/**
 * Bad usage (exit 2): an argument or flag the operation's schema refuses, or a flag value that
 * does not parse. A run that was understood but failed exits 1.
 */
export class UsageError extends MemoryError {}

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
    throw new UsageError("INVALID_INPUT", `${flag} is not valid JSON: ${errorMessage(error)}`);
  }
}

/** `-` as a value: everything on stdin, as text (one trailing newline dropped, as a shell adds it). */
export async function stdinText(): Promise<string> {
  if (process.stdin.isTTY) {
    throw new UsageError(
      "INVALID_INPUT",
      "VALUE is '-' but stdin is a terminal: pipe the value in, e.g. `cat notes.md | memory-bank store notes -`",
    );
  }
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks)
    .toString("utf8")
    .replace(/\r?\n$/, "");
}
