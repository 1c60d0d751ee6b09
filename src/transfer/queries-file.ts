/**
 * The searches of `memory-bank parallel-query`: a file holding a JSON array of searches or one
 * search per line, when the argument names one; otherwise the argument is the search itself.
 */
import { existsSync, statSync } from "node:fs";
import path from "node:path";
import { errorMessage, MemoryError } from "../domain/errors.js";
import { printable } from "../domain/input.js";
import { readRegularFile } from "./source-file.js";

/**
 * An argument written as a path (absolute, ./ or ../, or a name ending in .json, .jsonl, .ndjson
 * or .txt) is meant as a file: searching for its name instead would answer a typo with
 * "no results".
 */
const LOOKS_LIKE_FILE = /^(?:\/|\.\.?\/|~\/)\S*$|^\S+\.(?:json|jsonl|ndjson|txt)$/i;

export async function readQueries(arg: string): Promise<unknown[]> {
  const file = path.resolve(arg);
  if (!existsSync(file)) {
    if (LOOKS_LIKE_FILE.test(arg)) {
      throw new MemoryError(
        "NOT_FOUND",
        `file '${printable(arg)}' does not exist: give a file of searches (a JSON array or one per line), or search words`,
      );
    }
    return [arg];
  }
  if (!statSync(file).isFile()) return [arg];
  const text = (await readRegularFile(file, arg)).toString("utf8");
  const trimmed = text.trim();
  if (trimmed.startsWith("[")) {
    try {
      return JSON.parse(trimmed);
    } catch (error) {
      throw new MemoryError(
        "INVALID_INPUT",
        `'${arg}' is not a valid JSON array of searches: ${errorMessage(error)}`,
      );
    }
  }
  return trimmed
    .split("\n")
    .map((l) => l.trim())
    .filter(Boolean);
}
