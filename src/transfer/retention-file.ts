/**
 * Retention files for `memory-bank batch-cleanup`: policies that replace the configured ones for
 * one run, either as a config-like file or as the policy map itself.
 */
import { MemoryConfigSchema } from "../config/config.js";
import { errorMessage, MemoryError } from "../domain/errors.js";
import { formatIssues } from "../domain/input.js";
import { readRegularFile } from "./source-file.js";

const PolicyFileSchema = MemoryConfigSchema.shape.retentionPolicy.unwrap();

/**
 * Reads a retention file for batch-cleanup: either `{"retentionPolicy": {...}}` (a config-like file)
 * or the policy map itself, e.g. `{"sessions": "7d", "tasks": "30d"}`.
 */
export async function readRetentionFile(file: string): Promise<Record<string, string>> {
  let text: string;
  try {
    text = (await readRegularFile(file, file)).toString("utf8");
  } catch (error) {
    if (error instanceof MemoryError) throw error; // not a regular file
    const code = (error as NodeJS.ErrnoException).code;
    throw new MemoryError(
      code === "ENOENT" ? "NOT_FOUND" : "IO_ERROR",
      code === "ENOENT"
        ? `retention file ${file} does not exist`
        : `cannot read ${file}: ${errorMessage(error)}`,
    );
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (error) {
    throw new MemoryError(
      "INVALID_INPUT",
      `retention file ${file} is not valid JSON: ${errorMessage(error)}`,
    );
  }
  const d = doc as { retentionPolicy?: unknown; memory?: { retentionPolicy?: unknown } } | null;
  const policies = d?.memory?.retentionPolicy ?? d?.retentionPolicy ?? doc;
  const parsed = PolicyFileSchema.safeParse(policies);
  if (!parsed.success) {
    throw new MemoryError(
      "INVALID_INPUT",
      `retention file ${file}: ${formatIssues(parsed.error)} (expected {"namespace": "30d" | "12h" | "permanent", ...})`,
    );
  }
  return parsed.data;
}
