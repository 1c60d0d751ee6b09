/**
 * Loads and validates `claude-flow.config.json`. Only the `memory` section is ours; other sections
 * of the file belong to other tools and are left alone. A missing file means the defaults below,
 * which are exactly the seed configuration plus the fields this implementation adds (limits, store,
 * embeddings, transport), each with a default that needs no tuning.
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { z } from "zod";
import { MAX_DURATION_MS, MAX_DURATION_TEXT, parseDuration } from "../domain/duration.js";
import { NAMESPACE_RULE, NamespaceSchema } from "../domain/entry.js";
import { errorMessage, MemoryError } from "../domain/errors.js";
import { PostgresConfigSchema } from "./postgres.js";

export const CONFIG_FILE = "claude-flow.config.json";

/** The backends `memory.backend` may name (store/create.ts builds each). */
export const BACKENDS = ["json", "postgres"] as const;
export type BackendKind = (typeof BACKENDS)[number];

const posInt = (what: string, min = 1) =>
  z
    .number({ error: `${what} must be a whole number >= ${min}` })
    .int({ error: `${what} must be a whole number >= ${min}` })
    .min(min, { error: (iss) => `${what} is ${String(iss.input)}: it must be a whole number >= ${min}` });

const RetentionSchema = z
  .string({ error: "a retention must be a duration such as '30d' or 'permanent'" })
  .refine((s) => s === "permanent" || parseDuration(s) !== undefined, {
    error: (iss) =>
      `retention '${String(iss.input)}' is invalid: use a duration such as '30d', '12h' or 'permanent'`,
    abort: true,
  })
  .refine((s) => s === "permanent" || (parseDuration(s) ?? 0) <= MAX_DURATION_MS, {
    error: (iss) =>
      `retention '${String(iss.input)}' is too long: the longest is ${MAX_DURATION_TEXT}; use 'permanent' to keep entries forever`,
  });

const BatchtoolsSchema = z.object({
  enabled: z.boolean().default(true).describe("Run batch work through the parallel executor."),
  maxConcurrent: posInt("batchtools.maxConcurrent").max(1000).default(10),
  batchSize: posInt("batchtools.batchSize").max(100_000).default(100),
  parallelIndexing: z.boolean().default(true).describe("Build the search index on worker threads at load."),
  concurrentBackups: z.boolean().default(true).describe("Write compaction backups while serving."),
});

const PerformanceSchema = z.object({
  enableParallelAccess: z.boolean().default(true).describe("Let several processes share the store."),
  concurrentQueries: posInt("performance.concurrentQueries").max(1000).default(20),
  batchWriteSize: posInt("performance.batchWriteSize").max(100_000).default(50),
  parallelIndexUpdate: z.boolean().default(true),
});

const LimitsSchema = z.object({
  maxKeyLength: posInt("limits.maxKeyLength").max(1024).default(256),
  // An entry must fit in one answer: MCP clients (the SDK's included) drop answers over 10 MiB.
  maxValueBytes: posInt("limits.maxValueBytes")
    .max(8 * 1024 * 1024, {
      error: "limits.maxValueBytes must be at most 8388608 (8 MiB): MCP clients refuse larger answers",
    })
    .default(1024 * 1024),
  maxTags: posInt("limits.maxTags", 0).max(1000).default(32),
  maxMetadataBytes: posInt("limits.maxMetadataBytes")
    .max(16 * 1024 * 1024)
    .default(64 * 1024),
});

const StoreSchema = z.object({
  compactAfterBytes: posInt("store.compactAfterBytes", 4096)
    .default(16 * 1024 * 1024)
    .describe("Fold the journal into a new snapshot once it grows past this many bytes."),
  backupsKept: posInt("store.backupsKept", 0).max(1000).default(5),
  lockStaleMs: posInt("store.lockStaleMs", 5000).max(600_000).default(10_000),
  fsync: z
    .boolean()
    .default(true)
    .describe("fsync before acknowledging writes (turn off only for throwaway data)."),
});

const EmbeddingsSchema = z.object({
  enabled: z.boolean().default(false),
  provider: z.enum(["openai-compatible", "ollama"]).default("openai-compatible"),
  url: z.string().default(""),
  model: z.string().default(""),
  dimensions: posInt("embeddings.dimensions").max(65_536).optional(),
  apiKeyEnv: z.string().optional().describe("Name of the environment variable holding the API key."),
  batchSize: posInt("embeddings.batchSize").max(2048).default(64),
  timeoutMs: posInt("embeddings.timeoutMs").max(600_000).default(30_000),
});

const TransportSchema = z.object({
  maxMessageBytes: posInt("transport.maxMessageBytes", 1024 * 1024)
    .max(1024 * 1024 * 1024)
    .default(64 * 1024 * 1024)
    .describe("Largest JSON-RPC message read from stdin; larger ones are refused with an error."),
});

const ServerSchema = z.object({
  shared: z
    .boolean()
    .default(true)
    .describe(
      "One bank server per store: `serve` attaches to it (starting it if none runs) and CLI verbs use a running one. false: every process opens the store itself. The environment variable MEMORY_BANK_SHARED=0 turns it off too.",
    ),
  idleTimeoutMs: posInt("server.idleTimeoutMs", 1000)
    .max(7 * 24 * 3600 * 1000)
    .default(10 * 60 * 1000)
    .describe("The bank server exits after this long with no connection."),
});

export const MemoryConfigSchema = z.object({
  backend: z
    .enum(BACKENDS, {
      error: (iss) => `backend '${String(iss.input)}' is not supported: use "json" or "postgres"`,
    })
    .default("json"),
  postgres: PostgresConfigSchema.prefault({}).describe(
    'Used when backend is "postgres"; credentials come from the environment (docs/team-memory.md).',
  ),
  path: z.string().min(1).default("./memory/claude-flow-data.json"),
  cacheSize: posInt("cacheSize", 0).max(10_000_000).default(5000),
  indexing: z.boolean().default(true),
  batchtools: BatchtoolsSchema.prefault({}),
  namespaces: z
    .array(NamespaceSchema)
    .default(["default", "agents", "tasks", "sessions", "sparc", "batchtools"]),
  retentionPolicy: z
    .record(
      z.string().refine((ns) => NamespaceSchema.safeParse(ns).success, {
        error: (iss) =>
          `retentionPolicy key '${String(iss.input)}' is not a namespace name: ${NAMESPACE_RULE}`,
      }),
      RetentionSchema,
    )
    .default({ sessions: "30d", tasks: "90d", agents: "permanent", sparc: "180d", batchtools: "60d" }),
  performance: PerformanceSchema.prefault({}),
  limits: LimitsSchema.prefault({}),
  store: StoreSchema.prefault({}),
  embeddings: EmbeddingsSchema.prefault({}),
  transport: TransportSchema.prefault({}),
  secrets: z
    .enum(["report", "mask"], {
      error: (iss) => `secrets '${String(iss.input)}' is not one of: report, mask`,
    })
    .default("report")
    .describe(
      "What memory_store does with a value that looks like a secret (private key, cloud or git token, bearer token): report it in the answer (default), or mask it before storing and report that.",
    ),
  server: ServerSchema.prefault({}),
});
export type MemoryConfig = z.infer<typeof MemoryConfigSchema>;

export const ConfigFileSchema = z.object({ memory: MemoryConfigSchema.prefault({}) }).loose();

export interface LoadedConfig {
  memory: MemoryConfig;
  /** Directory everything relative resolves against: the config file's directory, else the cwd. */
  projectDir: string;
  /** Absolute path of the snapshot file. */
  dataPath: string;
  /** The file read, or undefined when defaults were used. */
  file?: string;
  warnings: string[];
}

export interface ConfigSource {
  /** --config FILE */
  configPath?: string;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
}

/**
 * Settings a command imposes for one run over the config file's (`--batchtools`, `--parallel`),
 * given to MemoryBank.open so the bank is built with them from the start.
 */
export interface ConfigOverrides {
  batchtools?: Partial<MemoryConfig["batchtools"]>;
  performance?: Partial<MemoryConfig["performance"]>;
}

export function withOverrides(config: MemoryConfig, overrides: ConfigOverrides = {}): MemoryConfig {
  return {
    ...config,
    batchtools: { ...config.batchtools, ...overrides.batchtools },
    performance: { ...config.performance, ...overrides.performance },
  };
}

export function defaultConfig(): MemoryConfig {
  return MemoryConfigSchema.parse({});
}

/** Resolves --config, then MEMORY_BANK_CONFIG, then ./claude-flow.config.json. */
export function loadConfig(source: ConfigSource = {}): LoadedConfig {
  const cwd = path.resolve(source.cwd ?? process.cwd());
  const env = source.env ?? process.env;
  const explicit = source.configPath ?? env.MEMORY_BANK_CONFIG;
  const file = explicit ? path.resolve(cwd, explicit) : path.join(cwd, CONFIG_FILE);
  if (explicit && !existsSync(file)) {
    throw new MemoryError(
      "CONFIG_INVALID",
      `config file ${file} does not exist: check --config / MEMORY_BANK_CONFIG`,
    );
  }
  if (!existsSync(file)) return resolveConfig({}, cwd, undefined);

  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, "utf8"));
  } catch (error) {
    throw new MemoryError("CONFIG_INVALID", `${file} is not valid JSON: ${errorMessage(error)}`);
  }
  return resolveConfig(raw, path.dirname(file), file);
}

/** Validates a parsed config document; exported for tests and for `init`. */
export function resolveConfig(raw: unknown, projectDir: string, file?: string): LoadedConfig {
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
    throw new MemoryError("CONFIG_INVALID", `${file ?? "config"}: the top level must be a JSON object`);
  }
  const parsed = ConfigFileSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => {
      const at = ["memory", ...i.path.slice(1)].map(String).join(".");
      return `${i.path[0] === "memory" ? at : i.path.join(".")}: ${i.message}`;
    });
    throw new MemoryError("CONFIG_INVALID", `invalid config in ${file ?? "config"}: ${problems.join("; ")}`);
  }
  const memory = parsed.data.memory;
  const warnings = unknownFields(MemoryConfigSchema, (raw as { memory?: unknown }).memory, "memory").map(
    (f) => `unknown config field ${f} is ignored`,
  );
  const dataPath = path.resolve(projectDir, memory.path);
  return { memory, projectDir, dataPath, ...(file ? { file } : {}), warnings };
}

/** Lists dotted paths present in `input` that `schema` does not declare, recursing into objects. */
function unknownFields(schema: z.ZodType, input: unknown, at: string): string[] {
  const obj = unwrapObject(schema);
  if (!obj || input === null || typeof input !== "object" || Array.isArray(input)) return [];
  const shape = obj.shape as Record<string, z.ZodType>;
  const out: string[] = [];
  for (const [k, v] of Object.entries(input)) {
    const field = shape[k];
    if (!field) out.push(`${at}.${k}`);
    else out.push(...unknownFields(field, v, `${at}.${k}`));
  }
  return out;
}

function unwrapObject(schema: z.ZodType): z.ZodObject | undefined {
  let s: unknown = schema;
  for (let i = 0; i < 5 && s; i++) {
    if (s instanceof z.ZodObject) return s;
    const def = (s as { _zod?: { def?: { innerType?: unknown } } })._zod?.def;
    s = def?.innerType;
  }
  return undefined;
}
