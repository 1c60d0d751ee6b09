/**
 * Connections to PostgreSQL through `pg`, and what its failures mean in words a person can act on.
 *
 * `pg` is loaded on first use (createRequire), so a project on the JSON store never pays for it.
 * Every session sets what the guarantees rest on, whatever the server's defaults:
 * - synchronous_commit on: COMMIT returns only once the commit record is flushed, so an
 *   acknowledged write survives a crash of the database server;
 * - idle_in_transaction_session_timeout: a writer that stops mid-transaction (a frozen machine,
 *   a cut network) loses its transaction and the write lock it held, instead of stalling every
 *   other writer until TCP gives up;
 * - lock_timeout: a writer waiting for that lock fails with a message rather than hanging.
 */
import { createRequire } from "node:module";
import type { Client, ClientConfig, Pool, PoolClient } from "pg";
import { MemoryError } from "../../domain/errors.js";
import { describeTarget, type PostgresSettings } from "./settings.js";

type PgModule = typeof import("pg");
let pgModule: PgModule | undefined;

function pg(): PgModule {
  if (!pgModule) {
    pgModule = createRequire(import.meta.url)("pg") as PgModule;
    // int8 (bigint) columns are sequence numbers and versions, far below 2^53: numbers, not strings.
    pgModule.types.setTypeParser(20, (v: string) => Number(v));
  }
  return pgModule;
}

export interface SessionOptions {
  /** memory.store.fsync: false gives up durability across a database crash, as for the JSON store. */
  synchronousCommit: boolean;
  applicationName: string;
  idleInTransactionMs?: number;
  lockTimeoutMs?: number;
  /** Client-side bound on one query: a connection that went silent (half-open TCP) fails instead of hanging. */
  queryTimeoutMs?: number;
}

function clientConfig(s: PostgresSettings, o: SessionOptions): ClientConfig {
  const options = [
    `-c synchronous_commit=${o.synchronousCommit ? "on" : "off"}`,
    `-c idle_in_transaction_session_timeout=${o.idleInTransactionMs ?? 30_000}`,
    `-c lock_timeout=${o.lockTimeoutMs ?? 60_000}`,
  ].join(" ");
  return {
    host: s.host,
    port: s.port,
    database: s.database,
    user: s.user,
    password: () => passwordFor(s),
    ssl: s.ssl,
    application_name: o.applicationName,
    connectionTimeoutMillis: s.connectTimeoutMs,
    keepAlive: true,
    keepAliveInitialDelayMillis: 10_000,
    options,
    ...(o.queryTimeoutMs ? { query_timeout: o.queryTimeoutMs } : {}),
  };
}

/** PGPASSWORD or the URL's password, else the libpq password file (PGPASSFILE or ~/.pgpass). */
async function passwordFor(s: PostgresSettings): Promise<string> {
  if (s.secret.password !== undefined) return s.secret.password;
  const lookup = createRequire(import.meta.url)("pgpass") as (
    info: { host: string; port: number; database: string; user: string },
    cb: (password: string | undefined) => void,
  ) => void;
  const found = await new Promise<string | undefined>((resolve) =>
    lookup({ host: s.host, port: s.port, database: s.database, user: s.user }, resolve),
  );
  // An empty password lets the server ask for one, and its refusal names the user: clearer than ours.
  return found ?? "";
}

export function createPool(s: PostgresSettings, o: SessionOptions, onIdleError: (e: Error) => void): Pool {
  const pool = new (pg().Pool)({ ...clientConfig(s, o), max: s.poolSize, idleTimeoutMillis: 30_000 });
  // An idle pooled connection that dies (server restart) is dropped by the pool; without a
  // listener its 'error' event would end the process.
  pool.on("error", onIdleError);
  return pool;
}

/**
 * A pooled connection with an error listener for as long as it is checked out. The pool
 * listens only to idle connections; a checked-out one that the server cuts between two queries
 * ("terminating connection due to administrator command") would otherwise emit an 'error'
 * nobody hears, which ends the process. The next query on it fails instead, and release()
 * hands it back as broken so the pool does not reuse it.
 */
export async function checkout(pool: Pool): Promise<PoolClient> {
  const c = await pool.connect();
  let broken: Error | undefined;
  const onError = (e: Error) => {
    broken = e;
  };
  c.on("error", onError);
  const release = c.release.bind(c);
  c.release = (err?: Error | boolean) => {
    c.removeListener("error", onError);
    return release(err ?? broken);
  };
  return c;
}

export function createClient(s: PostgresSettings, o: SessionOptions): Client {
  return new (pg().Client)(clientConfig(s, o));
}

export type { Client, Pool, PoolClient };

/** Errors that mean the connection is gone (as opposed to a statement the server refused). */
export function isConnectionError(error: unknown): boolean {
  const e = error as { code?: string; message?: string } | undefined;
  const code = e?.code ?? "";
  if (/^(08|57P0[1-3])/.test(code)) return true; // connection exception; admin/crash shutdown
  if (
    ["ECONNREFUSED", "ECONNRESET", "EPIPE", "ETIMEDOUT", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH"].includes(
      code,
    )
  )
    return true;
  const m = e?.message ?? "";
  return /Connection terminated|connection timeout|Client has encountered a connection error|not queryable|timeout exceeded when trying to connect/i.test(
    m,
  );
}

/**
 * A pg or network error as a MemoryError that names the database (never the password) and the
 * fix. `what` says what was being done, `outcome` what it means for the caller's data.
 */
export function explain(error: unknown, s: PostgresSettings, what: string, outcome = ""): MemoryError {
  if (error instanceof MemoryError) return error;
  const e = error as { code?: string; message?: string };
  const target = describeTarget(s);
  const tail = outcome ? `: ${outcome}` : "";
  const code = e?.code ?? "";
  const msg = e?.message ?? String(error);
  switch (code) {
    case "ECONNREFUSED":
      return new MemoryError(
        "UNAVAILABLE",
        `${what}: PostgreSQL at ${target} refused the connection (is it running, and listening on ${s.host}:${s.port}?)${tail}`,
      );
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return new MemoryError(
        "UNAVAILABLE",
        `${what}: the database host '${s.host}' of ${target} cannot be resolved${tail}`,
      );
    case "28P01":
    case "28000":
      return new MemoryError(
        "CONFIG_INVALID",
        `${what}: PostgreSQL at ${target} refused role '${s.user}' (${msg}): check the password in PGPASSWORD or the password file (PGPASSFILE, ~/.pgpass) and pg_hba.conf${tail}`,
      );
    case "3D000":
      return new MemoryError(
        "CONFIG_INVALID",
        `${what}: database '${s.database}' does not exist on ${target}: create it (CREATE DATABASE ${s.database}) or fix the URL${tail}`,
      );
    case "42501":
      return new MemoryError(
        "CONFIG_INVALID",
        `${what}: role '${s.user}' lacks a privilege on ${target} (${msg}): grant what docs/team-memory.md lists for the runtime role${tail}`,
      );
    case "55P03":
      return new MemoryError(
        "LOCK_BUSY",
        `${what}: another writer held the store's write lock on ${target} for too long (lock_timeout)${tail}; retry`,
      );
    case "57P01":
      // A shutdown, a restart, or an administrator's pg_terminate_backend.
      return new MemoryError(
        "UNAVAILABLE",
        `${what}: PostgreSQL at ${target} ended the session (${msg})${tail}`,
      );
    case "57P02":
      return new MemoryError(
        "UNAVAILABLE",
        `${what}: PostgreSQL at ${target} crashed or is recovering (${msg})${tail}`,
      );
    case "57P03":
      return new MemoryError(
        "UNAVAILABLE",
        `${what}: PostgreSQL at ${target} is starting up or shutting down and takes no connection (${msg})${tail}`,
      );
    case "53300":
      return new MemoryError(
        "UNAVAILABLE",
        `${what}: PostgreSQL at ${target} has no free connection slot (${msg})${tail}`,
      );
  }
  if (/self[- ]signed|certificate|SSL|TLS/i.test(msg) && !/^\d/.test(code)) {
    return new MemoryError(
      "CONFIG_INVALID",
      `${what}: TLS to ${target} failed (${msg}): check sslmode and sslrootcert (verify-full needs the server's CA certificate and a matching host name)${tail}`,
    );
  }
  if (isConnectionError(error)) {
    return new MemoryError(
      "UNAVAILABLE",
      `${what}: the connection to PostgreSQL at ${target} was lost (${msg})${tail}`,
    );
  }
  return new MemoryError(
    "IO_ERROR",
    `${what}: PostgreSQL at ${target} answered: ${msg}${code ? ` [${code}]` : ""}${tail}`,
  );
}
