/** memory_store / `memory-bank store`: one entry stored or updated under a key. */
import { z } from "zod";
import { TtlSchema } from "../../domain/duration.js";
import { IsoDate, KeySchema, MemoryTypeSchema, NamespaceSchema, TagSchema } from "../../domain/entry.js";
import { MAX_LISTED_DUPLICATES } from "../duplicates.js";
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
  onDuplicate: z
    .enum(["keep", "skip", "merge-tags"], {
      error: (iss) => `onDuplicate '${String(iss.input)}' is not one of: keep, skip, merge-tags`,
    })
    .optional()
    .describe(
      "When the same value is already stored under another key of the namespace: keep both and report it (default), skip storing this one, or merge-tags (add these tags to the existing entry instead).",
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
  duplicate: z
    .object({
      keys: z
        .array(z.string())
        .describe(
          `Other keys of the namespace holding the identical value: at most ${MAX_LISTED_DUPLICATES}, in key order.`,
        ),
      more: z
        .number()
        .int()
        .optional()
        .describe(
          `How many further keys hold the same value and are not listed (when over ${MAX_LISTED_DUPLICATES} do).`,
        ),
      action: z.enum(["kept", "skipped", "merged-tags"]),
      note: z.string(),
    })
    .optional(),
  secrets: z
    .object({
      kinds: z.array(z.string()).describe("What the value seemed to hold, e.g. 'GitHub token'."),
      masked: z
        .boolean()
        .describe("true when the secrets were replaced before storing (memory.secrets = mask)."),
      note: z.string(),
    })
    .optional(),
});
export type StoreOutput = z.infer<typeof StoreOutputSchema>;

export const storeOperation = defineOperation({
  name: "memory_store",
  input: StoreInputSchema,
  output: StoreOutputSchema,
  run: (bank, input) => bank.storeEntry(input),
  render: (o) =>
    [
      o.duplicate?.action === "skipped"
        ? `Not stored: '${o.entry.key}' in namespace '${o.entry.namespace}' already holds this value (version ${o.entry.version}).`
        : `${o.duplicate?.action === "merged-tags" ? "Merged tags into" : o.created ? "Stored" : "Updated"} '${o.entry.key}' in namespace '${o.entry.namespace}' (version ${o.entry.version}${o.entry.expiresAt ? `, expires ${o.entry.expiresAt}` : ""}).`,
      ...(o.duplicate?.action === "kept" ? [o.duplicate.note] : []),
      ...(o.secrets ? [o.secrets.note] : []),
    ].join("\n"),
});
