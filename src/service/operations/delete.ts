/**
 * memory_delete / `memory-bank delete`: removes live entries of one namespace chosen by key, key
 * prefix and/or tags. Matches are re-checked inside the write transaction, so an entry another
 * process changed or removed in between is neither resurrected nor double-counted.
 */
import { z } from "zod";
import {
  DEFAULT_NAMESPACE,
  type Entry,
  KEY_HARD_MAX,
  KeySchema,
  NamespaceSchema,
  TagSchema,
} from "../../domain/entry.js";
import { MemoryError } from "../../domain/errors.js";
import { defineOperation, entries, MAX_LISTED_KEYS } from "./operation.js";

export const DeleteInputSchema = z.object({
  key: KeySchema.optional().describe("Delete this one key."),
  keyPrefix: z
    .string({ error: "keyPrefix must be a string" })
    .min(1, { error: "keyPrefix is empty: give a prefix such as 'task/'" })
    .max(KEY_HARD_MAX)
    .optional()
    .describe("Delete every key that starts with this prefix."),
  tags: z
    .array(TagSchema, { error: "tags must be an array of strings" })
    .min(1, { error: "tags is empty: give at least one tag" })
    .max(100)
    .optional()
    .describe("Delete entries carrying all of these tags (combines with keyPrefix)."),
  namespace: NamespaceSchema.optional().describe("Namespace to delete from; defaults to 'default'."),
  dryRun: z.boolean().optional().describe("Only report what would be deleted."),
});
export type DeleteInput = z.infer<typeof DeleteInputSchema>;

export const DeleteOutputSchema = z.object({
  deleted: z.number().int().describe("entries deleted (with dryRun: that would be deleted)"),
  keys: z.array(z.string()).describe(`the keys, sorted (at most ${MAX_LISTED_KEYS})`),
  truncated: z.boolean().describe("true when more keys matched than are listed"),
  namespace: z.string(),
  dryRun: z.boolean(),
});
export type DeleteOutput = z.infer<typeof DeleteOutputSchema>;

export const deleteOperation = defineOperation({
  name: "memory_delete",
  input: DeleteInputSchema,
  output: DeleteOutputSchema,
  run: async (bank, input) => {
    if (input.key === undefined && input.keyPrefix === undefined && !input.tags?.length) {
      throw new MemoryError(
        "INVALID_INPUT",
        "say what to delete: give key (one entry), keyPrefix (e.g. 'task/') and/or tags (entries carrying all of them)",
      );
    }
    if (input.key !== undefined && (input.keyPrefix !== undefined || input.tags?.length)) {
      throw new MemoryError("INVALID_INPUT", "give either key, or keyPrefix and/or tags, not both");
    }
    const namespace = input.namespace ?? DEFAULT_NAMESPACE;
    const dryRun = input.dryRun ?? false;
    const selected = (e: Entry) =>
      (input.key === undefined || e.key === input.key) &&
      (input.keyPrefix === undefined || e.key.startsWith(input.keyPrefix)) &&
      (!input.tags?.length || input.tags.every((t) => e.tags.includes(t)));

    const read = bank.read();
    let candidates: string[];
    if (input.key !== undefined) {
      const e = read.get(namespace, input.key);
      candidates = e && selected(e) ? [e.key] : [];
    } else {
      candidates = [...read.live(namespace)].filter(selected).map((e) => e.key);
    }

    let keys = candidates;
    if (!dryRun && candidates.length > 0) {
      keys = [];
      // Chunked so a huge delete never holds the lock for long; each chunk is one transaction.
      const chunk = bank.config.performance.batchWriteSize;
      for (let i = 0; i < candidates.length; i += chunk) {
        const part = candidates.slice(i, i + chunk);
        const done = await bank.transact((tx) => {
          const gone: string[] = [];
          for (const key of part) {
            const e = tx.get(namespace, key);
            if (!e || !selected(e)) continue;
            tx.del(namespace, key);
            gone.push(key);
          }
          return gone;
        });
        keys.push(...done);
      }
    }
    keys.sort();
    return {
      deleted: keys.length,
      keys: keys.slice(0, MAX_LISTED_KEYS),
      truncated: keys.length > MAX_LISTED_KEYS,
      namespace,
      dryRun,
    };
  },
  render: (o) =>
    `${o.dryRun ? "Would delete" : "Deleted"} ${entries(o.deleted)} from '${o.namespace}'${
      o.keys.length ? `: ${o.keys.slice(0, 50).join(", ")}${o.deleted > 50 ? ", …" : ""}` : "."
    }`,
  items: (o) => o.deleted,
});
