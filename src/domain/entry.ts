/**
 * The entry model: what a stored memory is, and the fields every operation shares (key,
 * namespace, tags, memory type), defined once as zod schemas. No I/O and no protocol here: the
 * store, the service and both doors build on these; each operation's own request and response
 * shapes live with the operation (service/operations/).
 */
import { z } from "zod";
import { printable } from "./input.js";

export const MEMORY_TYPES = ["episodic", "semantic", "procedural", "meta", "performance"] as const;
export const MemoryTypeSchema = z.enum(MEMORY_TYPES, {
  error: (iss) => `type '${String(iss.input)}' is not one of: ${MEMORY_TYPES.join(", ")}`,
});
export type MemoryType = z.infer<typeof MemoryTypeSchema>;

/** The memory type of an entry stored without one. */
export const DEFAULT_TYPE: MemoryType = "semantic";

/** The namespace of an entry stored without one. */
export const DEFAULT_NAMESPACE = "default";

const NAMESPACE_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
export const NAMESPACE_RULE =
  "use letters, digits, '-', '_', '.' (1-64 characters, starting with a letter or digit)";

export const NamespaceSchema = z
  .string({ error: "namespace must be a string" })
  .refine((ns) => NAMESPACE_RE.test(ns), {
    error: (iss) => `namespace '${printable(iss.input)}' is invalid: ${NAMESPACE_RULE}`,
  })
  .describe("Namespace the entry lives in, e.g. 'default', 'agents', 'tasks'.");

// C0 controls and DEL make keys unreadable in every listing and can smuggle terminal escapes.
// biome-ignore lint/suspicious/noControlCharactersInRegex: the point is to reject them
const CONTROL_RE = /[\u0000-\u001f\u007f]/;

/** The static ceiling; the configured `limits.maxKeyLength` is checked by the service. */
export const KEY_HARD_MAX = 1024;
export const KeySchema = z
  .string({ error: "key must be a string" })
  .min(1, { error: "key is empty: give a non-empty key such as 'auth/login-flow'" })
  .max(KEY_HARD_MAX, { error: `key is longer than ${KEY_HARD_MAX} characters: use a shorter key` })
  .refine((k) => !CONTROL_RE.test(k), { error: "key contains control characters: remove them" })
  .describe("Key, unique within its namespace, e.g. 'auth/login-flow'.");

/**
 * KeySchema held to a project's limit (memory.limits.maxKeyLength): the key a server advertises
 * in its tools' input schemas is the key it accepts, not the hard ceiling above.
 */
export function keyWithin(max: number) {
  return KeySchema.max(max, {
    error: `key is longer than ${max} characters, the limit of memory.limits.maxKeyLength: use a shorter key`,
  });
}

/** `schema` with its top-level key fields (KeySchema, optional or not) held to `max` (keyWithin). */
export function withKeyLimit<S extends z.ZodObject>(schema: S, max: number): S {
  const changed: Record<string, z.ZodType> = {};
  for (const [name, field] of Object.entries(schema.shape as Record<string, z.ZodType>)) {
    const described = (s: z.ZodType) => (field.description ? s.describe(field.description) : s);
    if (field === KeySchema) changed[name] = described(keyWithin(max));
    else if (field instanceof z.ZodOptional && field.unwrap() === KeySchema)
      changed[name] = described(keyWithin(max).optional());
  }
  return Object.keys(changed).length ? (schema.extend(changed) as unknown as S) : schema;
}

export const TagSchema = z
  .string({ error: "each tag must be a string" })
  .min(1, { error: "tags may not be empty strings" })
  .max(64, { error: "a tag is longer than 64 characters: shorten it" })
  .refine((t) => !CONTROL_RE.test(t), { error: "a tag contains control characters: remove them" });

export const IsoDate = z.string().describe("ISO 8601 timestamp");

/**
 * The highest version an entry can reach: MCP answers carry versions as JSON numbers, which are
 * exact only up to 2^53 - 1, and the output schemas refuse anything larger.
 */
export const MAX_VERSION = Number.MAX_SAFE_INTEGER;

/** The latest date an entry may carry (9999-12-31T23:59:59.999Z): ISO 8601 with a 4-digit year. */
export const MAX_DATE_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

/** A stored memory. `version` starts at 1 and grows by one on every update. */
export const EntrySchema = z.object({
  id: z.string(),
  key: z.string(),
  namespace: z.string(),
  value: z.unknown(),
  type: MemoryTypeSchema,
  tags: z.array(z.string()),
  metadata: z.record(z.string(), z.unknown()),
  createdAt: IsoDate,
  updatedAt: IsoDate,
  expiresAt: IsoDate.optional(),
  version: z.number().int().min(1).max(MAX_VERSION),
  retention: z
    .string()
    .optional()
    .describe(
      "The retention policy this entry was written under and the id of the project that wrote it ('30d@1a2b3c4d'): a project sharing the store with others applies its own policy to its own entries only.",
    ),
});
export type Entry = z.infer<typeof EntrySchema>;

/** What a write does to a key that already holds a live entry. */
export const ON_CONFLICT = ["overwrite", "skip", "error"] as const;
export const OnConflictSchema = z.enum(ON_CONFLICT, {
  error: (iss) => `onConflict '${String(iss.input)}' is not one of: ${ON_CONFLICT.join(", ")}`,
});
export type OnConflict = z.infer<typeof OnConflictSchema>;
