/**
 * `memory-bank batch-store FILE`: batch_store over the entries of a file (a JSON array,
 * {entries: [...]}, or JSON lines). Records the file holds but that are not entries are reported
 * by their position in the file, like the entries batch_store refuses.
 */
import path from "node:path";
import { z } from "zod";
import { NamespaceSchema, OnConflictSchema } from "../../domain/entry.js";
import { MemoryError } from "../../domain/errors.js";
import { parseInput } from "../../domain/input.js";
import { readEntriesFile } from "../../transfer/importer.js";
import {
  BatchStoreInputSchema,
  BatchStoreOutputSchema,
  type ItemError,
  renderBatchStore,
} from "./batch-store.js";
import { defineOperation } from "./operation.js";

export const BatchStoreFileInputSchema = z.object({
  file: z.string().min(1).describe("The entries file, relative to the working directory."),
  namespace: NamespaceSchema.optional().describe("Namespace for entries that name none (default 'default')."),
  onConflict: OnConflictSchema.optional(),
  atomic: z.boolean().optional(),
});

export const batchStoreFileOperation = defineOperation({
  name: "batch-store",
  input: BatchStoreFileInputSchema,
  output: BatchStoreOutputSchema,
  run: async (bank, input, ctx) => {
    ctx.onPhase?.(`reading ${input.file}`);
    const records = await readEntriesFile(path.resolve(input.file), input.file);
    const bad: ItemError[] = [];
    const entries: Array<Record<string, unknown>> = [];
    const positions: number[] = [];
    records.forEach((r, i) => {
      if ("error" in r) bad.push({ index: i, message: r.error });
      else {
        entries.push(r.raw);
        positions.push(i);
      }
    });
    if (entries.length === 0) {
      throw new MemoryError(
        "INVALID_INPUT",
        `'${input.file}' holds no readable entries${bad[0] ? ` (${bad[0].message})` : ""}`,
      );
    }
    const batch = parseInput(BatchStoreInputSchema, {
      entries,
      ...(input.namespace ? { namespace: input.namespace } : {}),
      ...(input.onConflict ? { onConflict: input.onConflict } : {}),
      ...(input.atomic ? { atomic: true } : {}),
    });
    const stored = await bank.batchStore(batch, ctx);
    // Positions in the file, not in the entries handed to batchStore.
    const errors = [
      ...bad,
      ...stored.errors.map((e) => ({ ...e, index: positions[e.index] ?? e.index })),
    ].sort((a, b) => a.index - b.index);
    return { ...stored, failed: stored.failed + bad.length, errors };
  },
  render: renderBatchStore,
  items: (o) => o.stored + o.updated + o.skipped + o.failed,
});
