/**
 * batch_store: many entries in one call, validated one by one (a bad entry is reported by its
 * index while the others are stored, unless atomic), written in chunks of transactions that share
 * appends and fsyncs (MemoryBank.batchStore).
 */
import { z } from "zod";
import { NamespaceSchema, OnConflictSchema } from "../../domain/entry.js";
import { defineOperation, itemErrorLines } from "./operation.js";

/** The service's ceiling on one batch; larger inputs must be split by the caller. */
export const MAX_BATCH = 100_000;

export const BatchStoreInputSchema = z.object({
  // Items are checked one by one by the service, not here: a bad entry must be reported by its
  // index while the others are stored, instead of failing the whole call.
  entries: z
    .array(
      z
        .record(z.string(), z.unknown(), { error: "each entry must be an object {key, value, ...}" })
        .describe(
          "An entry shaped like memory_store's input: {key, value, namespace?, type?, tags?, metadata?, ttl?, ifVersion?}",
        ),
      { error: "entries must be an array of {key, value, ...} objects" },
    )
    .min(1, { error: "entries is empty: give at least one {key, value} entry" })
    .max(MAX_BATCH, { error: `entries has more than ${MAX_BATCH} items: split the batch` })
    .describe("Entries to store, each shaped like memory_store's input."),
  namespace: NamespaceSchema.optional().describe("Namespace for entries that name none (default 'default')."),
  onConflict: OnConflictSchema.optional().describe(
    "When a key exists: overwrite (default), skip, or error (reported per entry).",
  ),
  atomic: z.boolean().optional().describe("All or nothing: if any entry fails, none is stored."),
});
export type BatchStoreInput = z.infer<typeof BatchStoreInputSchema>;

export const ItemErrorSchema = z.object({
  index: z.number().int(),
  key: z.string().optional(),
  message: z.string(),
});
export type ItemError = z.infer<typeof ItemErrorSchema>;

export const BatchStoreOutputSchema = z.object({
  stored: z.number().int().describe("new entries created"),
  updated: z.number().int().describe("existing entries overwritten"),
  skipped: z.number().int(),
  failed: z.number().int(),
  errors: z.array(ItemErrorSchema),
});
export type BatchStoreOutput = z.infer<typeof BatchStoreOutputSchema>;

export function renderBatchStore(o: BatchStoreOutput): string {
  return [
    `Stored ${o.stored} new, updated ${o.updated}, skipped ${o.skipped}, failed ${o.failed}.`,
    ...itemErrorLines(o.errors, "entry"),
  ].join("\n");
}

export const batchStoreOperation = defineOperation({
  name: "batch_store",
  input: BatchStoreInputSchema,
  output: BatchStoreOutputSchema,
  run: (bank, input, ctx) => bank.batchStore(input, ctx),
  render: renderBatchStore,
  items: (o) => o.stored + o.updated + o.skipped + o.failed,
});
