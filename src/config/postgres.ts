/**
 * `memory.postgres`: where the PostgreSQL backend connects, as the config file may say it. The
 * file is committed with the project, so it never holds a credential: it names the environment
 * variable that holds the connection URL (`urlEnv`), and a credential written into it is refused
 * with the way to pass it instead. The settings are resolved against the environment by the
 * backend (store/postgres/settings.ts).
 */
import { z } from "zod";
import { parseDuration } from "../domain/duration.js";

export const SSL_MODES = ["disable", "allow", "prefer", "require", "verify-ca", "verify-full"] as const;
export type SslMode = (typeof SSL_MODES)[number];

const IDENTIFIER_RE = /^[a-z_][a-z0-9_]{0,62}$/;
const ENV_NAME_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;

const credentialsRefused = (field: string) =>
  z
    .never({
      error: `memory.postgres.${field} does not belong in the config file (it is committed with the project and would expose the credential): put the connection URL in the environment variable named by memory.postgres.urlEnv (default MEMORY_BANK_DATABASE_URL) and the password in PGPASSWORD or a password file (PGPASSFILE, ~/.pgpass)`,
    })
    .optional();

export const PostgresConfigSchema = z.object({
  urlEnv: z
    .string()
    .regex(ENV_NAME_RE, { error: "memory.postgres.urlEnv must be the name of an environment variable" })
    .default("MEMORY_BANK_DATABASE_URL")
    .describe("Environment variable holding the connection URL; unset means libpq's PG* variables."),
  schema: z
    .string()
    .regex(IDENTIFIER_RE, {
      error:
        "memory.postgres.schema must be a lower-case SQL identifier (letters, digits, '_'; at most 63 characters)",
    })
    .default("memory_bank")
    .describe("Schema holding the tables; one schema is one store."),
  sslmode: z
    .enum(SSL_MODES, {
      error: (iss) => `memory.postgres.sslmode '${String(iss.input)}' is not one of: ${SSL_MODES.join(", ")}`,
    })
    .optional()
    .describe("TLS mode with libpq's meaning; overrides the URL's sslmode and PGSSLMODE."),
  poolSize: z.number().int().min(1).max(100).default(4),
  connectTimeoutMs: z.number().int().min(100).max(600_000).default(10_000),
  pollMs: z
    .number()
    .int()
    .min(50)
    .max(60_000)
    .default(1000)
    .describe("How often the change feed is checked besides its notifications (a lost notification)."),
  feedRetention: z
    .string()
    .refine((s) => parseDuration(s) !== undefined, {
      error: "memory.postgres.feedRetention must be a duration such as '7d'",
    })
    .default("7d")
    .describe("How long changes stay in the feed; a process away longer reloads the whole table."),
  url: credentialsRefused("url"),
  password: credentialsRefused("password"),
  connectionString: credentialsRefused("connectionString"),
});
export type PostgresConfig = z.infer<typeof PostgresConfigSchema>;
