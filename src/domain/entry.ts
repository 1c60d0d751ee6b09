/**
 * The entry model and every request/response shape of the service, defined once as zod schemas.
 * Types are inferred from the schemas; tools/ and cli.ts reuse the same schemas, so the MCP surface,
 * the CLI and the engine cannot disagree on what a field means.
 */
import { z } from "zod";
import { MemoryError } from "./errors.js";

export const MEMORY_TYPES = ["episodic", "semantic", "procedural", "meta", "performance"] as const;
export const MemoryTypeSchema = z.enum(MEMORY_TYPES, {
  error: (iss) => `type '${String(iss.input)}' is not one of: ${MEMORY_TYPES.join(", ")}`,
});
export type MemoryType = z.infer<typeof MemoryTypeSchema>;

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

export const TagSchema = z
  .string({ error: "each tag must be a string" })
  .min(1, { error: "tags may not be empty strings" })
  .max(64, { error: "a tag is longer than 64 characters: shorten it" })
  .refine((t) => !CONTROL_RE.test(t), { error: "a tag contains control characters: remove them" });

const DURATION_RE = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w|y)$/;
const UNIT_MS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
  y: 31_536_000_000,
};

/** Parses "30d", "12h", "90m", "45s", "2w", "1y" into milliseconds; undefined when not a duration. */
export function parseDuration(text: string): number | undefined {
  const m = DURATION_RE.exec(text.trim());
  if (!m?.[1] || !m[2]) return undefined;
  const ms = Number(m[1]) * (UNIT_MS[m[2]] ?? Number.NaN);
  return Number.isFinite(ms) && ms > 0 ? ms : undefined;
}

/**
 * The longest TTL or retention, 1000 years: a date that far ahead is still an ISO 8601 date with
 * a 4-digit year, far inside what a JavaScript Date holds (8.64e15 ms, year 275760). Longer
 * durations only ever meant "keep it": leave the TTL out, or use "permanent".
 */
export const MAX_DURATION_MS = 1000 * 31_536_000_000;
export const MAX_DURATION_TEXT = "1000y (31536000000 seconds)";

export const TtlSchema = z
  .union([z.string(), z.number()], { error: "ttl must be a duration such as '30d' or '12h', or seconds" })
  .refine((t) => (typeof t === "number" ? Number.isFinite(t) && t > 0 : parseDuration(t) !== undefined), {
    error: (iss) =>
      `ttl '${printable(iss.input)}' is invalid: use a duration such as '30d', '12h', '15m' or a positive number of seconds`,
    abort: true,
  })
  .refine((t) => durationMs(t) <= MAX_DURATION_MS, {
    error: (iss) =>
      `ttl '${printable(iss.input)}' is too long: the longest ttl is ${MAX_DURATION_TEXT}; leave ttl out for an entry that does not expire`,
  })
  .describe(
    "Time to live: '30d', '12h', '15m', '45s', or a number of seconds (at most 1000y). Expired entries disappear.",
  );

function durationMs(ttl: string | number): number {
  return typeof ttl === "number" ? ttl * 1000 : (parseDuration(ttl) ?? Number.NaN);
}

export function ttlToMs(ttl: string | number): number {
  const ms = durationMs(ttl);
  if (!Number.isFinite(ms) || ms <= 0) {
    throw new MemoryError("INVALID_INPUT", `ttl '${printable(ttl)}' is invalid: use '30d', '12h' or seconds`);
  }
  if (ms > MAX_DURATION_MS) {
    throw new MemoryError(
      "INVALID_INPUT",
      `ttl '${printable(ttl)}' is too long: the longest ttl is ${MAX_DURATION_TEXT}; leave ttl out for an entry that does not expire`,
    );
  }
  return ms;
}

const IsoDate = z.string().describe("ISO 8601 timestamp");

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

// ---------------------------------------------------------------------------------------------
// memory_store

export const StoreInputShape = {
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
};
export const StoreInputSchema = z.object(StoreInputShape);
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

export const StoreOutputShape = {
  entry: EntryRefSchema,
  created: z.boolean().describe("true when the key was new, false when an existing entry was updated"),
};
export const StoreOutputSchema = z.object(StoreOutputShape);
export type StoreOutput = z.infer<typeof StoreOutputSchema>;

// ---------------------------------------------------------------------------------------------
// memory_query

export const SEARCH_MODES = ["hybrid", "fulltext", "fuzzy", "exact", "semantic"] as const;
export const SearchModeSchema = z.enum(SEARCH_MODES, {
  error: (iss) => `mode '${String(iss.input)}' is not one of: ${SEARCH_MODES.join(", ")}`,
});

const TimeBound = z.string().refine((s) => !Number.isNaN(Date.parse(s)), {
  error: (iss) => `'${printable(iss.input)}' is not a date: use ISO 8601 such as 2026-01-31T12:00:00Z`,
});

export const QueryInputShape = {
  query: z
    .string({ error: "query must be a string" })
    .max(4096, { error: "query is longer than 4096 characters: shorten it" })
    .optional()
    .describe("Words to search for in keys, values and tags, e.g. 'how do we authenticate the CLI'."),
  key: KeySchema.optional().describe("Exact key lookup."),
  keyPrefix: z
    .string({ error: "keyPrefix must be a string" })
    .max(KEY_HARD_MAX)
    .optional()
    .describe("Every key that starts with this prefix."),
  namespace: NamespaceSchema.optional().describe("Search one namespace (default: all)."),
  namespaces: z.array(NamespaceSchema).max(100).optional().describe("Search these namespaces."),
  tags: z.array(TagSchema).max(100).optional().describe("Only entries carrying these tags."),
  tagMode: z
    .enum(["all", "any"])
    .optional()
    .describe("Entries must carry all tags (default) or any of them."),
  type: MemoryTypeSchema.optional().describe("Only entries of this type."),
  mode: SearchModeSchema.optional().describe(
    "hybrid (default: ranked full text + typo tolerance), fulltext, fuzzy, exact (key/prefix only), semantic (needs embeddings configured).",
  ),
  since: TimeBound.optional().describe("Only entries updated at or after this time (ISO 8601)."),
  until: TimeBound.optional().describe("Only entries updated at or before this time (ISO 8601)."),
  includeExpired: z.boolean().optional().describe("Also return expired entries not yet cleaned up."),
  limit: z
    .number({ error: "limit must be a number from 1 to 1000" })
    .int({ error: "limit must be a whole number from 1 to 1000" })
    .min(1, { error: "limit must be at least 1" })
    .max(1000, { error: "limit must be at most 1000" })
    .optional()
    .describe("Results per page, 1..1000 (default 10)."),
  cursor: z.string().max(4096).optional().describe("nextCursor of the previous page, to get the next page."),
};
export const QueryInputSchema = z.object(QueryInputShape);
export type QueryInput = z.infer<typeof QueryInputSchema>;

export const QueryResultSchema = z.object({
  key: z.string(),
  namespace: z.string(),
  value: z.unknown(),
  type: MemoryTypeSchema,
  tags: z.array(z.string()),
  score: z.number(),
  version: z.number().int(),
  updatedAt: IsoDate,
  expiresAt: IsoDate.optional(),
});
export type QueryResult = z.infer<typeof QueryResultSchema>;

export const QueryOutputShape = {
  results: z.array(QueryResultSchema),
  nextCursor: z.string().optional().describe("Pass as cursor to get the next page; absent on the last page."),
};
export const QueryOutputSchema = z.object(QueryOutputShape);
export type QueryOutput = z.infer<typeof QueryOutputSchema>;

// ---------------------------------------------------------------------------------------------
// batch_store

export const ON_CONFLICT = ["overwrite", "skip", "error"] as const;
export const OnConflictSchema = z.enum(ON_CONFLICT, {
  error: (iss) => `onConflict '${String(iss.input)}' is not one of: ${ON_CONFLICT.join(", ")}`,
});
export type OnConflict = z.infer<typeof OnConflictSchema>;

/** The service's ceiling on one batch; larger inputs must be split by the caller. */
export const MAX_BATCH = 100_000;

export const BatchStoreInputShape = {
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
};
export const BatchStoreInputSchema = z.object(BatchStoreInputShape);
export type BatchStoreInput = z.infer<typeof BatchStoreInputSchema>;

export const ItemErrorSchema = z.object({
  index: z.number().int(),
  key: z.string().optional(),
  message: z.string(),
});
export type ItemError = z.infer<typeof ItemErrorSchema>;

export const BatchStoreOutputShape = {
  stored: z.number().int().describe("new entries created"),
  updated: z.number().int().describe("existing entries overwritten"),
  skipped: z.number().int(),
  failed: z.number().int(),
  errors: z.array(ItemErrorSchema),
};
export const BatchStoreOutputSchema = z.object(BatchStoreOutputShape);
export type BatchStoreOutput = z.infer<typeof BatchStoreOutputSchema>;

// ---------------------------------------------------------------------------------------------
// parallel_query

export const ParallelQueryInputShape = {
  queries: z
    .array(z.union([z.string().max(4096), QueryInputSchema]), {
      error: "queries must be an array of strings or memory_query inputs",
    })
    .min(1, { error: "queries is empty: give 1 to 100 queries" })
    .max(100, { error: "queries has more than 100 items: split it" })
    .describe("Search strings or full memory_query inputs, run concurrently."),
  namespaces: z
    .array(NamespaceSchema)
    .max(100)
    .optional()
    .describe("Run each query in each of these namespaces separately (default: all together)."),
  limit: QueryInputShape.limit,
};
export const ParallelQueryInputSchema = z.object(ParallelQueryInputShape);
export type ParallelQueryInput = z.infer<typeof ParallelQueryInputSchema>;

export const ParallelQueryOutputShape = {
  results: z.array(
    z.object({
      query: z.string(),
      namespace: z.string().optional(),
      results: z.array(QueryResultSchema),
      nextCursor: z
        .string()
        .optional()
        .describe(
          "More results exist: call memory_query with this search's query, namespace and limit plus this cursor.",
        ),
      error: z.string().optional(),
    }),
  ),
  tookMs: z.number(),
};
export const ParallelQueryOutputSchema = z.object(ParallelQueryOutputShape);
export type ParallelQueryOutput = z.infer<typeof ParallelQueryOutputSchema>;

// ---------------------------------------------------------------------------------------------
// export

export const EXPORT_FORMATS = ["json", "jsonl"] as const;
export const ExportInputShape = {
  path: z
    .string()
    .min(1)
    .max(4096)
    .optional()
    .describe("File to write, relative to the project directory (default memory/exports/<time>.json)."),
  namespaces: z.array(NamespaceSchema).max(1000).optional().describe("Only these namespaces (default: all)."),
  format: z
    .enum(EXPORT_FORMATS, {
      error: (iss) => `format '${String(iss.input)}' is not one of: ${EXPORT_FORMATS.join(", ")}`,
    })
    .optional()
    .describe("json (one document, default) or jsonl (one entry per line)."),
  compress: z.boolean().optional().describe("gzip the file (adds .gz)."),
  includeExpired: z.boolean().optional().describe("Also export expired entries not yet cleaned up."),
};
export const ExportInputSchema = z.object(ExportInputShape);
export type ExportInput = z.infer<typeof ExportInputSchema>;

export const ExportOutputShape = {
  path: z.string().describe("The file written, relative to the project directory."),
  entries: z.number().int(),
  bytes: z.number().int(),
  sha256: z.string(),
};
export const ExportOutputSchema = z.object(ExportOutputShape);
export type ExportOutput = z.infer<typeof ExportOutputSchema>;

// ---------------------------------------------------------------------------------------------
// memory_get

export const GetInputShape = {
  key: KeySchema,
  namespace: NamespaceSchema.optional().describe("Namespace; defaults to 'default'."),
};
export const GetInputSchema = z.object(GetInputShape);
export type GetInput = z.infer<typeof GetInputSchema>;

export const GetOutputShape = {
  found: z.boolean().describe("false when no live entry has this key (never stored, deleted or expired)"),
  entry: EntrySchema.optional().describe("The full entry, when found."),
  expiresAt: IsoDate.optional().describe(
    "When it expires: its own TTL, else its namespace's retention policy.",
  ),
};
export const GetOutputSchema = z.object(GetOutputShape);
export type GetOutput = z.infer<typeof GetOutputSchema>;

// ---------------------------------------------------------------------------------------------
// memory_delete

/** Most keys listed in a delete or cleanup answer; the counts are always complete. */
export const MAX_LISTED_KEYS = 1000;

export const DeleteInputShape = {
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
};
export const DeleteInputSchema = z.object(DeleteInputShape);
export type DeleteInput = z.infer<typeof DeleteInputSchema>;

export const DeleteOutputShape = {
  deleted: z.number().int().describe("entries deleted (with dryRun: that would be deleted)"),
  keys: z.array(z.string()).describe(`the keys, sorted (at most ${MAX_LISTED_KEYS})`),
  truncated: z.boolean().describe("true when more keys matched than are listed"),
  namespace: z.string(),
  dryRun: z.boolean(),
};
export const DeleteOutputSchema = z.object(DeleteOutputShape);
export type DeleteOutput = z.infer<typeof DeleteOutputSchema>;

// ---------------------------------------------------------------------------------------------
// import

export const IMPORT_FORMATS = ["auto", "json", "jsonl", "snapshot", "mcp-memory", "backup"] as const;
export const ImportFormatSchema = z.enum(IMPORT_FORMATS, {
  error: (iss) => `format '${String(iss.input)}' is not one of: ${IMPORT_FORMATS.join(", ")}`,
});
export type ImportFormat = z.infer<typeof ImportFormatSchema>;

export const ImportInputShape = {
  path: z
    .string({ error: "path must be a string" })
    .min(1, { error: "path is empty: give a file inside the project, e.g. memory/exports/backup.json" })
    .max(4096)
    .describe(
      "File or backup folder inside the project: our json/jsonl exports (.gz too), a claude-flow-data.json snapshot, the official memory server's memory.jsonl, or a memory/backups/NAME folder.",
    ),
  namespace: NamespaceSchema.optional().describe(
    "Put every imported entry into this namespace (default: each entry's own namespace, else 'default').",
  ),
  onConflict: OnConflictSchema.optional().describe(
    "When a key exists: overwrite (default), skip, or error (reported per entry).",
  ),
  format: ImportFormatSchema.optional().describe(
    "auto (default: detected from the content), json, jsonl, snapshot, mcp-memory (the official memory server's JSONL), backup (a concurrent-export folder).",
  ),
};
export const ImportInputSchema = z.object(ImportInputShape);
export type ImportInput = z.infer<typeof ImportInputSchema>;

export const ImportOutputShape = {
  path: z.string().describe("What was read, relative to the project directory."),
  format: ImportFormatSchema.exclude(["auto"]),
  read: z.number().int().describe("records read from the source"),
  expired: z.number().int().describe("entries already past their TTL or retention, not imported"),
  verified: z.number().int().describe("backup files whose sha256 matched the manifest (0 for single files)"),
  ...BatchStoreOutputShape,
};
export const ImportOutputSchema = z.object(ImportOutputShape);
export type ImportOutput = z.infer<typeof ImportOutputSchema>;

// ---------------------------------------------------------------------------------------------
// memory_stats

export const StatsInputShape = {
  namespace: NamespaceSchema.optional().describe("Only this namespace's counts (default: all)."),
  verbose: z.boolean().optional().describe("Also report value bytes per namespace."),
};
export const StatsInputSchema = z.object(StatsInputShape);
export type StatsInput = z.infer<typeof StatsInputSchema>;

export const ProcessInfoSchema = z.object({
  id: z.string(),
  pid: z.number().int(),
  kind: z.enum(["server", "cli"]),
  command: z.string().optional().describe("the CLI verb, for cli processes"),
  client: z.string().optional().describe("MCP client name and version from initialize"),
  startedAt: IsoDate,
  lastSeen: IsoDate,
  status: z.enum(["alive", "ended", "stale"]).describe("stale: the process is gone without a clean exit"),
  calls: z.number().int(),
  errors: z.number().int(),
  inFlight: z.array(z.object({ op: z.string(), startedAt: IsoDate })),
});
export type ProcessInfo = z.infer<typeof ProcessInfoSchema>;

export const NamespaceStatsSchema = z.object({
  namespace: z.string(),
  entries: z.number().int().describe("live entries"),
  expired: z.number().int().describe("expired but not yet cleaned up"),
  retention: z.string().describe("the namespace's retention policy, or 'none'"),
  byType: z.record(z.string(), z.number().int()),
  valueBytes: z.number().int().optional().describe("JSON bytes of the values (verbose)"),
});
export type NamespaceStats = z.infer<typeof NamespaceStatsSchema>;

export const StatsOutputShape = {
  entries: z.number().int().describe("live entries"),
  expired: z.number().int().describe("expired but not yet cleaned up"),
  namespaces: z.array(NamespaceStatsSchema),
  byType: z.record(z.string(), z.number().int()),
  disk: z.object({
    snapshotBytes: z.number().int(),
    journalBytes: z.number().int(),
    backupsBytes: z.number().int(),
    sessionsBytes: z.number().int(),
  }),
  index: z.object({ enabled: z.boolean(), terms: z.number().int(), documents: z.number().int() }),
  cache: z.object({ hits: z.number().int(), misses: z.number().int(), hitRate: z.number() }),
  store: z.object({
    generation: z.number().int(),
    journalRecords: z.number().int(),
    lastCompaction: IsoDate.optional(),
    problems: z
      .array(z.object({ at: IsoDate, kind: z.string(), detail: z.string() }))
      .describe("damage and lock trouble this process noticed (damaged lines set aside, recoveries, ...)"),
  }),
  processes: z.array(ProcessInfoSchema).describe("processes using the store now"),
};
export const StatsOutputSchema = z.object(StatsOutputShape);
export type StatsOutput = z.infer<typeof StatsOutputSchema>;

// ---------------------------------------------------------------------------------------------
// memory_cleanup

export const CleanupInputShape = {
  namespaces: z
    .array(NamespaceSchema)
    .min(1, { error: "namespaces is empty: omit it to clean every namespace" })
    .max(1000)
    .optional()
    .describe("Only these namespaces (default: all). Permanent namespaces are never touched."),
  dryRun: z.boolean().optional().describe("Only report what would be removed."),
};
export const CleanupInputSchema = z.object(CleanupInputShape);
export type CleanupInput = z.infer<typeof CleanupInputSchema>;

export const CleanupOutputShape = {
  dryRun: z.boolean(),
  removed: z.number().int().describe("entries removed (with dryRun: that would be removed)"),
  namespaces: z.array(
    z.object({
      namespace: z.string(),
      retention: z.string(),
      scanned: z.number().int(),
      removed: z.number().int(),
      keys: z.array(z.string()).describe(`removed keys, sorted (at most ${MAX_LISTED_KEYS})`),
      truncated: z.boolean(),
    }),
  ),
  skipped: z.array(z.object({ namespace: z.string(), reason: z.string() })),
  tookMs: z.number(),
};
export const CleanupOutputSchema = z.object(CleanupOutputShape);
export type CleanupOutput = z.infer<typeof CleanupOutputSchema>;

// ---------------------------------------------------------------------------------------------

/** Parses input with a schema, turning zod issues into one MemoryError that names each field. */
export function parseInput<T extends z.ZodType>(schema: T, input: unknown, what = "input"): z.infer<T> {
  const r = schema.safeParse(input);
  if (r.success) return r.data;
  throw new MemoryError("INVALID_INPUT", formatIssues(r.error, what));
}

export function formatIssues(error: z.ZodError, what = "input"): string {
  const scope = what === "input" ? "" : what;
  return error.issues
    .slice(0, 10)
    .map((i) => {
      const at = i.path.map(String).join(".");
      const field = i.path.length ? String(i.path[i.path.length - 1]) : "";
      // Our messages usually start with the field's name already; don't say it twice.
      if (field && i.message.startsWith(field)) return scope ? `${scope}: ${i.message}` : i.message;
      const where = [scope, at].filter(Boolean).join(".");
      return where ? `${where}: ${i.message}` : i.message;
    })
    .join("; ");
}

/** A bounded, single-line rendering of untrusted input for error messages. */
export function printable(input: unknown, max = 80): string {
  const s = typeof input === "string" ? input : JSON.stringify(input);
  const clean = String(s).replace(
    // biome-ignore lint/suspicious/noControlCharactersInRegex: escaping them is the point
    /[\u0000-\u001f\u007f]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
  return clean.length > max ? `${clean.slice(0, max)}…` : clean;
}
