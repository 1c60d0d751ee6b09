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
import { KEY_HARD_MAX, NAMESPACE_RULE, NamespaceSchema } from "../domain/entry.js";
import { errorMessage, MemoryError } from "../domain/errors.js";
import { PostgresConfigSchema } from "./postgres.js";
import { CONFIG_FILE, DEFAULT_DATA_PATH, findProjectRoot } from "./project.js";

export { CONFIG_FILE };

/** The backends `memory.backend` may name (store/create.ts builds each). */
export const BACKENDS = ["json", "postgres"] as const;
export type BackendKind = (typeof BACKENDS)[number];

/** A whole number in [min, max]; every message states the whole range, so a fix is one read away. */
const posInt = (what: string, min = 1, max = Number.MAX_SAFE_INTEGER) => {
  const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `from ${min} to ${max}`;
  return z
    .number({ error: `${what} must be a whole number ${range}` })
    .int({ error: `${what} must be a whole number ${range}` })
    .min(min, { error: (iss) => `${what} is ${String(iss.input)}: it must be a whole number ${range}` })
    .max(max, { error: (iss) => `${what} is ${String(iss.input)}: it must be a whole number ${range}` });
};

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
  maxConcurrent: posInt("batchtools.maxConcurrent", 1, 1000).default(10),
  batchSize: posInt("batchtools.batchSize", 1, 100_000).default(100),
  parallelIndexing: z.boolean().default(true).describe("Build the search index on worker threads at load."),
  concurrentBackups: z.boolean().default(true).describe("Write compaction backups while serving."),
});

const PerformanceSchema = z.object({
  enableParallelAccess: z.boolean().default(true).describe("Let several processes share the store."),
  concurrentQueries: posInt("performance.concurrentQueries", 1, 1000).default(20),
  batchWriteSize: posInt("performance.batchWriteSize", 1, 100_000).default(50),
  parallelIndexUpdate: z.boolean().default(true),
});

const LimitsSchema = z.object({
  maxKeyLength: posInt("limits.maxKeyLength", 1, KEY_HARD_MAX).default(256),
  // An entry must fit in one answer: MCP clients (the SDK's included) drop answers over 10 MiB.
  maxValueBytes: posInt("limits.maxValueBytes")
    .max(8 * 1024 * 1024, {
      error: "limits.maxValueBytes must be at most 8388608 (8 MiB): MCP clients refuse larger answers",
    })
    .default(1024 * 1024),
  maxTags: posInt("limits.maxTags", 0, 1000).default(32),
  maxMetadataBytes: posInt("limits.maxMetadataBytes", 1, 16 * 1024 * 1024).default(64 * 1024),
});

const StoreSchema = z.object({
  compactAfterBytes: posInt("store.compactAfterBytes", 4096)
    .default(16 * 1024 * 1024)
    .describe("Fold the journal into a new snapshot once it grows past this many bytes."),
  backupsKept: posInt("store.backupsKept", 0, 1000).default(5),
  lockStaleMs: posInt("store.lockStaleMs", 5000, 600_000).default(10_000),
  fsync: z
    .boolean()
    .default(true)
    .describe("fsync before acknowledging writes (turn off only for throwaway data)."),
});

const EmbeddingsSchema = z
  .object({
    enabled: z.boolean().default(false),
    provider: z.enum(["openai-compatible", "ollama"]).default("openai-compatible"),
    url: z.string().default(""),
    model: z.string().default(""),
    dimensions: posInt("embeddings.dimensions", 1, 65_536).optional(),
    apiKeyEnv: z.string().optional().describe("Name of the environment variable holding the API key."),
    batchSize: posInt("embeddings.batchSize", 1, 2048).default(64),
    timeoutMs: posInt("embeddings.timeoutMs", 1, 600_000).default(30_000),
  })
  // Turned on, the endpoint must be usable from the start: a missing url found only by the first
  // semantic query is a failure far from its cause.
  .superRefine((e, ctx) => {
    if (!e.enabled) return;
    const example = "e.g. http://127.0.0.1:11434/api/embed";
    let url: URL | undefined;
    try {
      url = new URL(e.url);
    } catch {
      // reported below
    }
    if (!e.url) {
      ctx.addIssue({
        code: "custom",
        path: ["url"],
        message: `embeddings.url is required when embeddings.enabled is true: set it to the embedding endpoint (${example}), or set enabled to false`,
      });
    } else if (!url || (url.protocol !== "http:" && url.protocol !== "https:")) {
      ctx.addIssue({
        code: "custom",
        path: ["url"],
        message: `embeddings.url '${e.url}' is not an http:// or https:// URL: use ${example}`,
      });
    }
    if (!e.model) {
      ctx.addIssue({
        code: "custom",
        path: ["model"],
        message:
          "embeddings.model is required when embeddings.enabled is true: name the model the endpoint serves, e.g. nomic-embed-text",
      });
    }
  });

const TransportSchema = z.object({
  maxMessageBytes: posInt("transport.maxMessageBytes", 1024 * 1024, 1024 * 1024 * 1024)
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
  path: z.string().min(1).default(DEFAULT_DATA_PATH),
  cacheSize: posInt("cacheSize", 0, 10_000_000).default(5000),
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
  /** How the project was found: --config, MEMORY_BANK_CONFIG, the marker found walking up, ... */
  foundBy?: string;
  /** The file's text as read: a bank server is also known by it to clients that do not parse it (server/locate.ts). */
  text?: string;
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

/**
 * Resolves --config, then MEMORY_BANK_CONFIG, then the project's claude-flow.config.json: the
 * project being the one `cwd` is in (config/project.ts's findProjectRoot), so a command run in a
 * subdirectory opens the project's store.
 */
export function loadConfig(source: ConfigSource = {}): LoadedConfig {
  const cwd = path.resolve(source.cwd ?? process.cwd());
  const env = source.env ?? process.env;
  const explicit = source.configPath ?? env.MEMORY_BANK_CONFIG;
  const root = explicit ? undefined : findProjectRoot(cwd);
  const file = explicit ? path.resolve(cwd, explicit) : path.join(root?.dir ?? cwd, CONFIG_FILE);
  const foundBy = source.configPath
    ? "--config"
    : explicit
      ? "MEMORY_BANK_CONFIG"
      : (root?.foundBy ?? "working directory");
  if (explicit && !existsSync(file)) {
    throw new MemoryError(
      "CONFIG_INVALID",
      `config file ${file} does not exist: check --config / MEMORY_BANK_CONFIG`,
    );
  }
  if (!existsSync(file)) return { ...resolveConfig({}, root?.dir ?? cwd, undefined), foundBy };

  let raw: unknown;
  let text = "";
  try {
    text = readFileSync(file, "utf8");
    raw = JSON.parse(text);
  } catch (error) {
    throw new MemoryError("CONFIG_INVALID", `${file} is not valid JSON: ${errorMessage(error)}`);
  }
  return { ...resolveConfig(raw, path.dirname(file), file), foundBy, text };
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
  const warnings = [
    ...topLevelMistakes(raw as Record<string, unknown>),
    ...unknownFields(MemoryConfigSchema, (raw as { memory?: unknown }).memory, "memory").map(
      (f) => `unknown config field ${f} is ignored`,
    ),
  ];
  const dataPath = path.resolve(projectDir, memory.path);
  return { memory, projectDir, dataPath, ...(file ? { file } : {}), warnings };
}

/**
 * The top level of the file is shared with other tools, so its other sections are not ours to
 * judge; but a misspelt `memory` section, or one of our fields outside it, would silently mean
 * "all defaults", and that is worth a warning.
 */
function topLevelMistakes(raw: Record<string, unknown>): string[] {
  const ours = Object.keys(MemoryConfigSchema.shape);
  const out: string[] = [];
  for (const k of Object.keys(raw)) {
    if (k === "memory") continue;
    if (ours.includes(k)) {
      out.push(
        `top-level field '${k}' is ignored: memory-bank reads only the "memory" section; move it into "memory"`,
      );
    } else if (k.toLowerCase() === "memory" || editDistance(k.toLowerCase(), "memory") <= 2) {
      out.push(
        `top-level field '${k}' is ignored${"memory" in raw ? "" : " and the defaults are used"}: did you mean "memory"?`,
      );
    }
  }
  return out;
}

/** Levenshtein distance, for the short names compared above. */
function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(
        (prev[j] ?? 0) + 1,
        (row[j - 1] ?? 0) + 1,
        (prev[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    prev = row;
  }
  return prev[b.length] ?? 0;
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
