/** memory_get / `memory-bank get`: one live entry by key, with its effective expiry. */
import { z } from "zod";
import { DEFAULT_NAMESPACE, EntrySchema, IsoDate, KeySchema, NamespaceSchema } from "../../domain/entry.js";
import { brief, defineOperation } from "./operation.js";

export const GetInputSchema = z.object({
  key: KeySchema,
  namespace: NamespaceSchema.optional().describe("Namespace; defaults to 'default'."),
});
export type GetInput = z.infer<typeof GetInputSchema>;

export const GetOutputSchema = z.object({
  found: z.boolean().describe("false when no live entry has this key (never stored, deleted or expired)"),
  entry: EntrySchema.optional().describe("The full entry, when found."),
  expiresAt: IsoDate.optional().describe(
    "When it expires: its own TTL, else its namespace's retention policy.",
  ),
});
export type GetOutput = z.infer<typeof GetOutputSchema>;

export const getOperation = defineOperation({
  name: "memory_get",
  input: GetInputSchema,
  output: GetOutputSchema,
  run: (bank, input) => {
    const read = bank.read();
    const entry = read.get(input.namespace ?? DEFAULT_NAMESPACE, input.key);
    if (!entry) return { found: false };
    const at = read.expiryOf(entry);
    return { found: true, entry, ...(at !== undefined ? { expiresAt: new Date(at).toISOString() } : {}) };
  },
  render: (o) =>
    o.entry
      ? `[${o.entry.namespace}] ${o.entry.key} (version ${o.entry.version}, ${o.entry.type}${o.entry.tags.length ? `, tags ${o.entry.tags.join(", ")}` : ""}${o.expiresAt ? `, expires ${o.expiresAt}` : ""}): ${brief(o.entry.value, 2000)}`
      : "Not found: no live entry has this key in this namespace.",
});
