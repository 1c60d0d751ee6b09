/**
 * `memory-bank batch-cleanup [RETENTION-FILE]`: memory_cleanup, with the policies of a retention
 * file replacing the configured ones for this run.
 */
import path from "node:path";
import { z } from "zod";
import { readRetentionFile } from "../../transfer/retention-file.js";
import { CleanupInputSchema, CleanupOutputSchema, cleanup, renderCleanup } from "./cleanup.js";
import { defineOperation } from "./operation.js";

export const BatchCleanupInputSchema = CleanupInputSchema.extend({
  retentionFile: z
    .string()
    .min(1)
    .optional()
    .describe("A retention file, relative to the working directory, whose policies win for this run."),
});

export const batchCleanupOperation = defineOperation({
  name: "batch-cleanup",
  input: BatchCleanupInputSchema,
  output: CleanupOutputSchema,
  run: async (bank, { retentionFile, ...input }, ctx) => {
    const policies = retentionFile ? await readRetentionFile(path.resolve(retentionFile)) : undefined;
    return cleanup(bank, input, { ...ctx, ...(policies ? { policies } : {}) });
  },
  render: renderCleanup,
  items: (o) => o.namespaces.reduce((n, x) => n + x.scanned, 0),
});
