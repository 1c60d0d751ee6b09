/**
 * The schema the PostgreSQL backend keeps, created and upgraded by the backend itself.
 *
 * Each migration runs once, in order, recorded in `<schema>.migrations`. Several processes may
 * start at once against a new or older schema: every one of them takes the same transaction-level
 * advisory lock before looking at the version again, so exactly one applies each migration and
 * the others find it done. A process whose schema is already current takes no lock and needs no
 * privilege beyond reading `migrations` (the runtime role of docs/team-memory.md).
 *
 * Tables:
 * - entries(namespace, key, version, seq, body): the live entries. `body` is the entry as JSON
 *   text (type json keeps it byte for byte; jsonb would reorder keys and refuse "\u0000").
 *   `key` is the key's column spelling (rows.ts); `seq` is the change that wrote the row.
 * - changes(seq, txn_last, txn, op, namespace, key, body, at): the change feed, one row per
 *   committed change, numbered without gaps. `txn_last` is the last seq of the same transaction,
 *   so a reader never applies part of one; `txn` is the writer's token, which tells it after a
 *   lost connection whether its COMMIT went through.
 * - head(seq, pruned_through, compactions, last_compaction): one row. Its row lock is the
 *   store's write lock, `seq` the last committed change, `pruned_through` the last change
 *   removed from the feed (a reader behind it reloads the table).
 */
import type { PoolClient } from "pg";
import { errorMessage, MemoryError } from "../../../domain/errors.js";

export interface Migration {
  version: number;
  name: string;
  sql: (schema: string) => string;
}

export const MIGRATIONS: Migration[] = [
  {
    version: 1,
    name: "entries, change feed and head",
    sql: (s) => `
      CREATE TABLE ${s}.head (
        id smallint PRIMARY KEY CHECK (id = 1),
        seq bigint NOT NULL,
        pruned_through bigint NOT NULL DEFAULT 0,
        compactions bigint NOT NULL DEFAULT 0,
        last_compaction timestamptz
      );
      INSERT INTO ${s}.head (id, seq) VALUES (1, 0);
      CREATE TABLE ${s}.entries (
        namespace text NOT NULL,
        key text NOT NULL,
        version bigint NOT NULL CHECK (version >= 1),
        seq bigint NOT NULL,
        body json NOT NULL,
        PRIMARY KEY (namespace, key)
      );
      CREATE TABLE ${s}.changes (
        seq bigint PRIMARY KEY,
        txn_last bigint NOT NULL,
        txn uuid NOT NULL,
        op text NOT NULL CHECK (op IN ('put', 'del')),
        namespace text NOT NULL,
        key text NOT NULL,
        body json,
        at timestamptz NOT NULL DEFAULT clock_timestamp()
      );
      -- Pruning finds old changes by time; changes are appended in time order, so a BRIN index
      -- (a few pages, next to nothing per insert) is enough.
      CREATE INDEX changes_at ON ${s}.changes USING brin (at);
    `,
  },
];

export const LATEST = MIGRATIONS[MIGRATIONS.length - 1]?.version ?? 0;

/** The advisory lock's first key: "MB" in ASCII; the second is derived from the schema name. */
const LOCK_CLASS = 0x4d42;

export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

async function currentVersion(c: PoolClient, schema: string, user: string): Promise<number> {
  // pg_namespace is readable by every role: a schema the role may not use is named as such,
  // rather than looking absent and sending this process off to create it.
  const ns = await c.query<{ usage: boolean }>(
    "SELECT has_schema_privilege(oid, 'USAGE') AS usage FROM pg_namespace WHERE nspname = $1",
    [schema],
  );
  const found = ns.rows[0];
  if (!found) return 0;
  if (!found.usage) throw lacking(user, [`USAGE on schema ${schema}`]);
  const r = await c.query<{ t: string | null }>("SELECT to_regclass($1) AS t", [
    `${quoteIdent(schema)}.migrations`,
  ]);
  if (!r.rows[0]?.t) return 0;
  try {
    const v = await c.query<{ v: number | null }>(
      `SELECT max(version)::int AS v FROM ${quoteIdent(schema)}.migrations`,
    );
    return v.rows[0]?.v ?? 0;
  } catch (error) {
    if ((error as { code?: string }).code === "42501")
      throw lacking(user, [`SELECT on ${schema}.migrations`]);
    throw error;
  }
}

/** The start-up error for a role without what docs/team-memory.md says it needs. */
export function lacking(user: string, missing: string[]): MemoryError {
  return new MemoryError(
    "CONFIG_INVALID",
    `role '${user}' lacks ${missing.join(", ")}: grant ${missing.length === 1 ? "it" : "them"} (the runtime role's privileges are listed in docs/team-memory.md)`,
  );
}

/**
 * Brings `schema` to LATEST. Returns the migrations this process applied (usually none). A
 * missing privilege is a CONFIG_INVALID naming it; a schema newer than this program is refused.
 */
export async function migrate(
  c: PoolClient,
  schema: string,
  who: { user: string; database: string },
): Promise<string[]> {
  const s = quoteIdent(schema);
  let version = await currentVersion(c, schema, who.user);
  if (version > LATEST) throw newerSchema(schema, version);
  if (version === LATEST) return [];
  const applied: string[] = [];
  try {
    await c.query("BEGIN");
    await c.query("SELECT pg_advisory_xact_lock($1::int, hashtext($2)::int)", [LOCK_CLASS, schema]);
    await c.query(`CREATE SCHEMA IF NOT EXISTS ${s}`);
    await c.query(
      `CREATE TABLE IF NOT EXISTS ${s}.migrations (version int PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`,
    );
    version = await currentVersion(c, schema, who.user);
    if (version > LATEST) throw newerSchema(schema, version);
    for (const m of MIGRATIONS) {
      if (m.version <= version) continue;
      await c.query(m.sql(s));
      await c.query(`INSERT INTO ${s}.migrations (version, name) VALUES ($1, $2)`, [m.version, m.name]);
      applied.push(`${m.version} (${m.name})`);
    }
    await c.query("COMMIT");
    return applied;
  } catch (error) {
    await c.query("ROLLBACK").catch(() => {});
    if ((error as { code?: string }).code === "42501") {
      throw new MemoryError(
        "CONFIG_INVALID",
        `role '${who.user}' cannot create or upgrade the schema ${schema} in database '${who.database}' (${errorMessage(error)}; the schema is at version ${version}, this program needs ${LATEST}): run memory-bank once as the role that owns the schema (or grant CREATE ON DATABASE ${who.database} TO ${who.user}), see docs/team-memory.md`,
      );
    }
    throw error;
  }
}

function newerSchema(schema: string, version: number): MemoryError {
  return new MemoryError(
    "CONFIG_INVALID",
    `the schema ${schema} is at version ${version}, newer than this memory-bank knows (${LATEST}): upgrade memory-bank on this machine; it does not write to a schema it does not understand`,
  );
}

/** What the runtime role must be allowed, per table: docs/team-memory.md lists the same. */
export const RUNTIME_PRIVILEGES: Array<{ table: string; privileges: string[] }> = [
  { table: "entries", privileges: ["SELECT", "INSERT", "UPDATE", "DELETE"] },
  { table: "changes", privileges: ["SELECT", "INSERT", "DELETE"] },
  { table: "head", privileges: ["SELECT", "UPDATE"] },
  { table: "migrations", privileges: ["SELECT"] },
];

/** Every privilege the role lacks, named, so the start-up error can say exactly what to grant. */
export async function missingPrivileges(c: PoolClient, schema: string): Promise<string[]> {
  const checks: string[] = [];
  const args: string[] = [];
  const names: string[] = [];
  args.push(schema);
  checks.push(`has_schema_privilege($${args.length}, 'USAGE')`);
  names.push(`USAGE on schema ${schema}`);
  for (const { table, privileges } of RUNTIME_PRIVILEGES) {
    for (const p of privileges) {
      args.push(`${quoteIdent(schema)}.${quoteIdent(table)}`);
      checks.push(`has_table_privilege($${args.length}, '${p}')`);
      names.push(`${p} on ${schema}.${table}`);
    }
  }
  let row: Record<string, boolean>;
  try {
    const r = await c.query(`SELECT ${checks.map((x, i) => `${x} AS p${i}`).join(", ")}`, args);
    row = r.rows[0] as Record<string, boolean>;
  } catch (error) {
    // Without USAGE on the schema the tables cannot even be named.
    if ((error as { code?: string }).code === "42501") return [`USAGE on schema ${schema}`];
    throw error;
  }
  return names.filter((_, i) => row[`p${i}`] !== true);
}
