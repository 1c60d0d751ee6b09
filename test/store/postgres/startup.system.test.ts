/**
 * Starting on PostgreSQL: where the connection comes from, what is refused, and what a person
 * is told when it cannot work. Every case runs the real `memory-bank` binary in a project
 * directory, with the database URL (or libpq's variables) in its environment only.
 *
 * - the URL in MEMORY_BANK_DATABASE_URL, libpq's PG* variables, or a password file (PGPASSFILE);
 *   a credential in the config file is refused;
 * - unreachable server, wrong password, missing database: a start-up error naming the database
 *   (never the password) and the fix;
 * - a role holding exactly the privileges docs/team-memory.md lists can do everything; one
 *   missing any of them is told which, by name; a runtime role cannot create the schema;
 * - eight processes starting at once on a new database apply each migration exactly once;
 * - sslmode keeps libpq's meaning against a server with TLS: require encrypts, verify-full
 *   checks the certificate, disable does not encrypt, prefer is refused;
 * - the password appears in no output: not in errors, logs, stats or debug.
 */
import { writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PostgresConfigSchema } from "../../../src/config/postgres.js";
import { PostgresBackend } from "../../../src/store/postgres/backend.js";
import { RUNTIME_PRIVILEGES } from "../../../src/store/postgres/schema/migrations.js";
import { resolveSettings } from "../../../src/store/postgres/settings.js";
import { cli } from "../../cli/run.js";
import { removeProject, tempProject } from "../../helpers.js";
import { clusterUrl, postgresConfig, type TestDatabase, testDatabase } from "./cluster.js";

let db: TestDatabase;
const dirs: string[] = [];
const project = (extra: Record<string, unknown> = {}) => {
  const d = tempProject(postgresConfig(extra));
  dirs.push(d);
  return d;
};

beforeAll(async () => {
  db = await testDatabase("startup");
});
afterAll(async () => {
  for (const d of dirs) removeProject(d);
  await db?.close();
});

/** Every output of a run, to check a secret is in none of them. */
const all = (r: { stdout: string; stderr: string }) => `${r.stdout}\n${r.stderr}`;

describe("where the connection comes from", () => {
  it("the URL in MEMORY_BANK_DATABASE_URL: store, read back, stats and debug never show the password", async () => {
    const dir = project();
    const env = db.env();
    const secret = db.info.password;
    const stored = await cli(dir, ["store", "hello", "world"], env);
    expect(stored.code, stored.stderr).toBe(0);
    const got = await cli(dir, ["get", "hello", "--json"], env);
    expect(JSON.parse(got.stdout)).toMatchObject({ found: true, entry: { value: "world" } });
    for (const verb of [
      ["stats", "--json", "--verbose"],
      ["debug", "--json"],
      ["stats", "--verbose"],
    ]) {
      const r = await cli(dir, verb, env);
      expect(r.code, r.stderr).toBe(0);
      expect(all(r)).not.toContain(secret);
    }
    expect(all(stored)).not.toContain(secret);
  });

  it("libpq's variables (PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE) without a URL", async () => {
    const dir = project();
    const env = {
      PGHOST: db.info.host,
      PGPORT: String(db.info.port),
      PGUSER: db.info.user,
      PGPASSWORD: db.info.password,
      PGDATABASE: db.name,
    };
    const r = await cli(dir, ["store", "libpq", "1"], env);
    expect(r.code, r.stderr).toBe(0);
    const back = await cli(dir, ["get", "libpq", "--json"], db.env());
    expect(JSON.parse(back.stdout)).toMatchObject({ found: true, entry: { value: 1 } });
  });

  it("a password file (PGPASSFILE) when the URL has no password", async () => {
    const dir = project();
    const passfile = path.join(dir, "pgpass");
    writeFileSync(
      passfile,
      `${db.info.host}:${db.info.port}:${db.name}:${db.info.user}:${db.info.password}\n`,
      {
        mode: 0o600,
      },
    );
    const url = `postgres://${db.info.user}@${db.info.host}:${db.info.port}/${db.name}`;
    const r = await cli(dir, ["store", "passfile", "1"], {
      MEMORY_BANK_DATABASE_URL: url,
      PGPASSFILE: passfile,
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toMatch(/deprecat/i);
  });

  it("a credential in the config file is refused, naming the field and where it belongs", async () => {
    const dir = project({ postgres: { url: db.url } });
    const r = await cli(dir, ["stats"], db.env());
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/memory\.postgres\.url/);
    expect(r.stderr).toMatch(/MEMORY_BANK_DATABASE_URL/);
    expect(r.stderr).not.toContain(db.info.password);
  });

  it("no URL and no libpq variables: says what to set", async () => {
    const r = await cli(project(), ["stats"], {});
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/no database is configured: set MEMORY_BANK_DATABASE_URL/);
  });
});

describe("start-up errors name the database and the fix, never the password", () => {
  it("unreachable server", async () => {
    const url = `postgres://someone:hunter2secret@127.0.0.1:1/${db.name}`;
    const r = await cli(project(), ["stats"], { MEMORY_BANK_DATABASE_URL: url });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/refused the connection/);
    expect(r.stderr).toMatch(/postgres:\/\/someone@127\.0\.0\.1:1\//);
    expect(r.stderr).not.toContain("hunter2secret");
  });

  it("wrong password", async () => {
    const url = clusterUrl(db.info, db.name, db.info.user, "wrong-password-xyz");
    const r = await cli(project(), ["stats"], { MEMORY_BANK_DATABASE_URL: url });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/refused role 'postgres'.*password/);
    expect(r.stderr).not.toContain("wrong-password-xyz");
  });

  it("missing database", async () => {
    const r = await cli(project(), ["stats"], {
      MEMORY_BANK_DATABASE_URL: clusterUrl(db.info, "no_such_db"),
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/database 'no_such_db' does not exist/);
  });

  it("a server whose schema is newer than this program is refused", async () => {
    const schema = "from_the_future";
    const dir = project({ postgres: { schema } });
    expect((await cli(dir, ["stats"], db.env())).code).toBe(0);
    await db.sql(`INSERT INTO ${schema}.migrations (version, name) VALUES (999, 'later')`);
    const r = await cli(dir, ["stats"], db.env());
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/version 999, newer than this memory-bank knows/);
  });
});

describe("roles and privileges", () => {
  const grantsFor = (schema: string) => [
    `GRANT CONNECT ON DATABASE ${db.name} TO $ROLE`,
    `GRANT USAGE ON SCHEMA ${schema} TO $ROLE`,
    ...RUNTIME_PRIVILEGES.map((t) => `GRANT ${t.privileges.join(", ")} ON ${schema}.${t.table} TO $ROLE`),
  ];

  it("a role with exactly the documented privileges runs every operation", async () => {
    const schema = "minimal";
    const owner = project({ postgres: { schema } });
    expect((await cli(owner, ["stats"], db.env())).code).toBe(0); // the owner creates the schema
    await db.sql(`REVOKE ALL ON DATABASE ${db.name} FROM PUBLIC`);
    const app = await db.role("app", { grants: grantsFor(schema) });
    const dir = project({ postgres: { schema } });
    const env = { MEMORY_BANK_DATABASE_URL: app.url };
    const run = async (args: string[]) => {
      const r = await cli(dir, args, env);
      expect(r.code, `${args.join(" ")}: ${r.stderr}`).toBe(0);
      expect(all(r)).not.toContain(app.password);
      return r;
    };
    await run(["store", "k1", "value one", "--tags", "a,b"]);
    await run(["store", "k2", "value two", "--ttl", "1s"]);
    const file = path.join(dir, "batch.json");
    writeFileSync(file, JSON.stringify(Array.from({ length: 50 }, (_, i) => ({ key: `b/${i}`, value: i }))));
    await run(["batch-store", file, "--atomic"]);
    await run(["query", "value"]);
    await run(["delete", "k1"]);
    await run(["delete", "--prefix", "b/"]);
    await new Promise((r) => setTimeout(r, 1100));
    await run(["batch-cleanup"]);
    await run(["export", path.join(dir, "out.json")]);
    await run(["import", path.join(dir, "out.json")]);
    await run(["index-validate", "--repair"]); // compaction: drops expired, prunes the feed
    await run(["stats"]);
  });

  it("a role missing privileges is told exactly which", async () => {
    const schema = "partial";
    expect((await cli(project({ postgres: { schema } }), ["stats"], db.env())).code).toBe(0);
    const none = await db.role("nousage", { grants: [`GRANT CONNECT ON DATABASE ${db.name} TO $ROLE`] });
    const dir = project({ postgres: { schema } });
    const r1 = await cli(dir, ["stats"], { MEMORY_BANK_DATABASE_URL: none.url });
    expect(r1.code).toBe(1);
    expect(r1.stderr).toMatch(new RegExp(`role '${none.user}' lacks USAGE on schema ${schema}`));

    const some = await db.role("some", {
      grants: grantsFor(schema).filter(
        (g) => !g.includes(" ON partial.changes ") && !g.includes(" ON partial.head "),
      ),
    });
    const r2 = await cli(dir, ["stats"], { MEMORY_BANK_DATABASE_URL: some.url });
    expect(r2.code).toBe(1);
    expect(r2.stderr).toContain(
      `lacks SELECT on ${schema}.changes, INSERT on ${schema}.changes, DELETE on ${schema}.changes, SELECT on ${schema}.head, UPDATE on ${schema}.head`,
    );
    expect(r2.stderr).not.toContain(some.password);
  });

  it("a runtime role cannot create the schema, and is told who can", async () => {
    const app = await db.role("nocreate", { grants: [`GRANT CONNECT ON DATABASE ${db.name} TO $ROLE`] });
    await db.sql(`REVOKE CREATE ON DATABASE ${db.name} FROM PUBLIC`);
    const r = await cli(project({ postgres: { schema: "not_yet_there" } }), ["stats"], {
      MEMORY_BANK_DATABASE_URL: app.url,
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/cannot create or upgrade the schema not_yet_there/);
    expect(r.stderr).toMatch(/run memory-bank once as the role that owns the schema/);
  });
});

describe("migrations", () => {
  it("eight processes starting at once on a new schema apply each migration exactly once", async () => {
    const schema = "stampede";
    const dir = project({ postgres: { schema } });
    const runs = await Promise.all(
      Array.from({ length: 8 }, (_, i) => cli(dir, ["store", `p${i}`, String(i), "--verbose"], db.env())),
    );
    for (const r of runs) expect(r.code, r.stderr).toBe(0);
    const rows = await db.sql<{ version: number }>(
      `SELECT version FROM ${schema}.migrations ORDER BY version`,
    );
    expect(rows.map((r) => r.version)).toEqual([1]);
    const appliedBy = runs.filter((r) => /applied migration 1/.test(r.stderr)).length;
    expect(appliedBy).toBe(1);
    const count = await db.sql<{ n: number }>(`SELECT count(*)::int AS n FROM ${schema}.entries`);
    expect(count[0]?.n).toBe(8);
  });
});

describe("sslmode keeps libpq's meaning", () => {
  const openWith = async (env: Record<string, string>, sslmode?: string) => {
    const config = PostgresConfigSchema.parse({ schema: "tls", ...(sslmode ? { sslmode } : {}) });
    const b = new PostgresBackend({
      settings: resolveSettings(config, env),
      log: () => {},
      applicationName: "mb-tls-probe",
    });
    await b.open();
    try {
      const rows = await db.sql<{ ssl: boolean }>(
        "SELECT s.ssl FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid) WHERE a.application_name = 'mb-tls-probe'",
      );
      return rows.map((r) => r.ssl);
    } finally {
      await b.close();
    }
  };

  it("require encrypts; disable does not; the mode may come from the URL, PGSSLMODE or the config", async () => {
    expect(new Set(await openWith({ MEMORY_BANK_DATABASE_URL: `${db.url}?sslmode=require` }))).toEqual(
      new Set([true]),
    );
    expect(new Set(await openWith({ ...db.env(), PGSSLMODE: "require" }))).toEqual(new Set([true]));
    expect(new Set(await openWith(db.env(), "require"))).toEqual(new Set([true]));
    expect(new Set(await openWith({ MEMORY_BANK_DATABASE_URL: `${db.url}?sslmode=disable` }))).toEqual(
      new Set([false]),
    );
  });

  it("verify-full checks the server's certificate against sslrootcert and refuses without it", async () => {
    const cert = db.info.certFile;
    const localhostUrl = db.url.replace("127.0.0.1", "localhost");
    expect(
      new Set(
        await openWith({
          MEMORY_BANK_DATABASE_URL: `${localhostUrl}?sslmode=verify-full&sslrootcert=${cert}`,
        }),
      ),
    ).toEqual(new Set([true]));
    const refused = await openWith({ MEMORY_BANK_DATABASE_URL: `${localhostUrl}?sslmode=verify-full` }).catch(
      (e) => e,
    );
    expect(refused).toBeInstanceOf(Error);
    expect((refused as Error).message).toMatch(/TLS to postgres:\/\/postgres@localhost.*sslrootcert/);
    expect((refused as Error).message).not.toContain(db.info.password);
  });

  it("prefer (silent fallback to plain text) is refused with the alternatives", () => {
    expect(() =>
      resolveSettings(PostgresConfigSchema.parse({}), {
        MEMORY_BANK_DATABASE_URL: `${db.url}?sslmode=prefer`,
      }),
    ).toThrow(/sslmode 'prefer' would fall back to an unencrypted connection.*verify-full/);
  });
});
