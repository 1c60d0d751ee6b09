/**
 * The searches of `memory-bank parallel-query`: a file holding a JSON array of searches or one
 * search per line, when the argument names one; otherwise the argument is the search itself.
 */
import { existsSync, statSync } from "node:fs";
import path from "node:path";
import { errorMessage, MemoryError } from "../domain/errors.js";
import { readRegularFile } from "./source-file.js";

export async function readQueries(arg: string): Promise<unknown[]> {
  const file = path.resolve(arg);
  if (!existsSync(file) || !statSync(file).isFile()) return [arg];
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
