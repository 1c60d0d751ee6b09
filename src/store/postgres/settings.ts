/**
 * Where the PostgreSQL backend connects, and how, from `memory.postgres` plus the environment.
 *
 * The config file is committed with the project, so it never holds a credential: it names the
 * environment variable that holds the connection URL (`urlEnv`, default MEMORY_BANK_DATABASE_URL),
 * and without that variable libpq's own variables apply (PGHOST, PGPORT, PGDATABASE, PGUSER,
 * PGPASSWORD, PGSSLMODE, PGSSLROOTCERT, ...). A password that is in neither comes from the libpq
 * password file (PGPASSFILE, else ~/.pgpass). `sslmode` keeps libpq's meaning.
 *
 * Everything shown to a person (logs, errors, stats) goes through `describeTarget`, which has no
 * password field to show.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { type PostgresConfig, SSL_MODES, type SslMode } from "../../config/postgres.js";
import { parseDuration } from "../../domain/duration.js";
import { errorMessage, MemoryError } from "../../domain/errors.js";

/** A resolved connection: what pg gets, and the redacted description everything else gets. */
export interface PostgresSettings {
  host: string;
  port: number;
  database: string;
  user: string;
  sslmode: SslMode;
  /** pg's `ssl` option built from sslmode and the certificate files. */
  ssl:
    | false
    | {
        rejectUnauthorized: boolean;
        ca?: string;
        cert?: string;
        key?: string;
        checkServerIdentity?: () => undefined;
      };
  /** Only ever read by `password()`; never copied into a message. */
  readonly secret: { password?: string; passfile?: string };
  schema: string;
  poolSize: number;
  connectTimeoutMs: number;
  pollMs: number;
  feedRetentionMs: number;
  /** Where the settings came from, for the "no database configured" error. */
  source: "url" | "libpq-env";
}

type Env = Record<string, string | undefined>;

/** `memory.backend: "postgres"`: the settings, or a CONFIG_INVALID naming what is missing. */
export function resolveSettings(config: PostgresConfig, env: Env = process.env): PostgresSettings {
  const url = env[config.urlEnv];
  let fromUrl: Record<string, unknown> = {};
  if (url) {
    try {
      // libpq semantics for sslmode (pg's own parse treats require as verify-full, with a warning).
      const { parse } = createRequire(import.meta.url)(
        "pg-connection-string",
      ) as typeof import("pg-connection-string");
      fromUrl = parse(url, { useLibpqCompat: true }) as Record<string, unknown>;
    } catch (error) {
      // The URL itself may hold a password: the message names the variable, never its text.
      throw new MemoryError(
        "CONFIG_INVALID",
        `the connection URL in ${config.urlEnv} cannot be parsed (${redactUrlError(error)}): use postgres://USER@HOST:PORT/DATABASE?sslmode=verify-full`,
      );
    }
  } else if (!env.PGHOST && !env.PGDATABASE && !env.PGSERVICE) {
    throw new MemoryError(
      "CONFIG_INVALID",
      `memory.backend is "postgres" but no database is configured: set ${config.urlEnv}=postgres://USER@HOST:5432/DATABASE (the password in PGPASSWORD or a password file, PGPASSFILE or ~/.pgpass), or libpq's PGHOST/PGDATABASE/PGUSER variables`,
    );
  }
  if (env.PGSERVICE && !url && !env.PGHOST) {
    throw new MemoryError(
      "CONFIG_INVALID",
      "PGSERVICE (a pg_service.conf entry) is not read by memory-bank: set PGHOST, PGPORT, PGDATABASE and PGUSER, or a URL in MEMORY_BANK_DATABASE_URL",
    );
  }
  const str = (v: unknown) => (typeof v === "string" && v.length > 0 ? v : undefined);
  const host = str(fromUrl.host) ?? env.PGHOST ?? "localhost";
  const portText = str(fromUrl.port) ?? env.PGPORT ?? "5432";
  const port = Number(portText);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new MemoryError("CONFIG_INVALID", `the database port '${portText}' is not a port number (1-65535)`);
  }
  const user = str(fromUrl.user) ?? env.PGUSER ?? env.USER ?? "postgres";
  const database = str(fromUrl.database) ?? env.PGDATABASE ?? user;
  const sslmode = pickSslMode(config.sslmode ?? str(fromUrl.sslmode) ?? env.PGSSLMODE);
  const files = {
    rootcert: str(fromUrl.sslrootcert) ?? env.PGSSLROOTCERT,
    cert: str(fromUrl.sslcert) ?? env.PGSSLCERT,
    key: str(fromUrl.sslkey) ?? env.PGSSLKEY,
  };
  const password = str(fromUrl.password) ?? env.PGPASSWORD;
  return {
    host,
    port,
    database,
    user,
    sslmode,
    ssl: sslOption(sslmode, files),
    secret: {
      ...(password !== undefined ? { password } : {}),
      ...(env.PGPASSFILE ? { passfile: env.PGPASSFILE } : {}),
    },
    schema: config.schema,
    poolSize: config.poolSize,
    connectTimeoutMs: config.connectTimeoutMs,
    pollMs: config.pollMs,
    feedRetentionMs: parseDuration(config.feedRetention) ?? 7 * 86_400_000,
    source: url ? "url" : "libpq-env",
  };
}

function pickSslMode(raw: string | undefined): SslMode {
  if (raw === undefined) return "disable";
  if (raw === "allow" || raw === "prefer") {
    throw new MemoryError(
      "CONFIG_INVALID",
      `sslmode '${raw}' would fall back to an unencrypted connection without saying so, which memory-bank does not do: use sslmode=verify-full (encrypted, server verified), require (encrypted), or disable`,
    );
  }
  if (!(SSL_MODES as readonly string[]).includes(raw)) {
    throw new MemoryError(
      "CONFIG_INVALID",
      `sslmode '${raw}' is not one of: disable, require, verify-ca, verify-full`,
    );
  }
  return raw as SslMode;
}

/** libpq's meaning of each mode, in the terms of Node's TLS options. */
function sslOption(
  mode: SslMode,
  files: { rootcert?: string | undefined; cert?: string | undefined; key?: string | undefined },
): PostgresSettings["ssl"] {
  if (mode === "disable") return false;
  const read = (what: string, file: string | undefined) => {
    if (!file) return undefined;
    try {
      return readFileSync(file, "utf8");
    } catch (error) {
      throw new MemoryError(
        "CONFIG_INVALID",
        `cannot read the ${what} ${file} (${(error as NodeJS.ErrnoException).code ?? errorMessage(error)}): check sslrootcert/sslcert/sslkey or PGSSLROOTCERT/PGSSLCERT/PGSSLKEY`,
      );
    }
  };
  const ca = read("root certificate (sslrootcert)", files.rootcert);
  const cert = read("client certificate (sslcert)", files.cert);
  const key = read("client key (sslkey)", files.key);
  const extra = { ...(ca ? { ca } : {}), ...(cert ? { cert } : {}), ...(key ? { key } : {}) };
  const skipHostname = () => undefined;
  switch (mode) {
    case "require":
      // libpq: encrypted; with a root certificate given, the chain is checked as in verify-ca.
      return ca
        ? { rejectUnauthorized: true, ...extra, checkServerIdentity: skipHostname }
        : { rejectUnauthorized: false, ...extra };
    case "verify-ca":
      if (!ca) {
        throw new MemoryError(
          "CONFIG_INVALID",
          "sslmode verify-ca needs the root certificate that signed the server's certificate: set sslrootcert=FILE in the URL or PGSSLROOTCERT",
        );
      }
      return { rejectUnauthorized: true, ...extra, checkServerIdentity: skipHostname };
    default:
      // verify-full: chain and host name, against sslrootcert or the system's certificates.
      return { rejectUnauthorized: true, ...extra };
  }
}

/** postgres://user@host:port/database?sslmode=...: the one way a connection is ever named. */
export function describeTarget(
  s: Pick<PostgresSettings, "host" | "port" | "database" | "user" | "sslmode">,
): string {
  const host = s.host.includes(":") && !s.host.startsWith("[") ? `[${s.host}]` : s.host;
  return `postgres://${encodeURIComponent(s.user)}@${host}:${s.port}/${encodeURIComponent(s.database)}?sslmode=${s.sslmode}`;
}

/** A parse error's message without the URL it was about. */
function redactUrlError(error: unknown): string {
  const m = errorMessage(error) || "invalid";
  return m.includes("://") ? "invalid URL" : m.slice(0, 120);
}

/** The host is this machine: no TLS needed to keep the password off the network. */
export function isLoopback(host: string): boolean {
  return host === "localhost" || host.startsWith("127.") || host === "::1" || host.startsWith("/");
}
