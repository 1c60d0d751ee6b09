/** memory_store / `memory-bank store`: one entry stored or updated under a key. */
import { z } from "zod";
import { TtlSchema } from "../../domain/duration.js";
import { IsoDate, KeySchema, MemoryTypeSchema, NamespaceSchema, TagSchema } from "../../domain/entry.js";
import { defineOperation } from "./operation.js";

export const StoreInputSchema = z.object({
  key: KeySchema,
  value: z
    .unknown()
    .nonoptional({
      error: "value is required: give any JSON value (string, number, boolean, array or object)",
    })
    .describe("Any JSON value: a string, number, boolean, array or object (up to limits.maxValueBytes)."),
  namespace: NamespaceSchema.optional().describe("Namespace; defaults to 'default'."),
  type: MemoryTypeSchema.optional().describe(
    "Memory type: episodic (events), semantic (facts, the default), procedural (how-tos), meta, performance.",
  ),
  tags: z
    .array(TagSchema, { error: "tags must be an array of strings" })
    .optional()
    .describe("Tags for filtering, e.g. ['auth', 'decision']."),
  metadata: z
    .record(z.string(), z.unknown(), { error: "metadata must be an object" })
    .optional()
    .describe("Free-form JSON object stored with the entry."),
  ttl: TtlSchema.optional(),
  ifVersion: z
    .number({ error: "ifVersion must be an integer" })
    .int({ error: "ifVersion must be an integer" })
    .min(0, { error: "ifVersion must be 0 (create only) or a version number" })
    .optional()
    .describe(
      "Optimistic concurrency: store only if the entry's current version equals this (0 = only if it does not exist).",
    ),
});
export type StoreInput = z.infer<typeof StoreInputSchema>;

export const EntryRefSchema = z.object({
  id: z.string(),
  key: z.string(),
  namespace: z.string(),
  version: z.number().int(),
  createdAt: IsoDate,
  updatedAt: IsoDate,
  expiresAt: IsoDate.optional(),
});
export type EntryRef = z.infer<typeof EntryRefSchema>;

export const StoreOutputSchema = z.object({
  entry: EntryRefSchema,
  created: z.boolean().describe("true when the key was new, false when an existing entry was updated"),
});
export type StoreOutput = z.infer<typeof StoreOutputSchema>;

export const storeOperation = defineOperation({
  name: "memory_store",
  input: StoreInputSchema,
  output: StoreOutputSchema,
  run: (bank, input) => bank.storeEntry(input),
  render: (o) =>
    `${o.created ? "Stored" : "Updated"} '${o.entry.key}' in namespace '${o.entry.namespace}' (version ${o.entry.version}${o.entry.expiresAt ? `, expires ${o.entry.expiresAt}` : ""}).`,
});
