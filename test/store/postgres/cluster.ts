/**
 * What a PostgreSQL test file gets from the run's shared server (test/setup/postgres.ts): a database of
 * its own, roles, connection URLs and the environment a memory-bank process needs to use it.
 * A test that needs a server it may stop or crash starts its own with `dedicatedCluster()`.
 */
import { randomBytes } from "node:crypto";
import pg from "pg";
import { inject } from "vitest";
import { type ClusterInfo, clusterUrl, PostgresCluster } from "../../../bench/lib/postgres-cluster.js";

export { type ClusterInfo, clusterUrl };

/** The shared server, or the reason it could not start (thrown, so the test fails saying it). */
export function sharedCluster(): ClusterInfo {
  const got = inject("postgres");
  if ("error" in got) throw new Error(`PostgreSQL for the tests could not start: ${got.error}`);
  return got.info;
}

export async function dedicatedCluster(): Promise<PostgresCluster> {
  return PostgresCluster.start();
}

export async function admin(info: ClusterInfo, database = "postgres"): Promise<pg.Client> {
  const c = new pg.Client({ connectionString: clusterUrl(info, database) });
  await c.connect();
  return c;
}

export interface TestDatabase {
  info: ClusterInfo;
  name: string;
  /** The superuser's URL for this database. */
  url: string;
  /** Runs SQL as the superuser in this database. */
  sql<T extends pg.QueryResultRow = Record<string, unknown>>(text: string, params?: unknown[]): Promise<T[]>;
  /** The environment a memory-bank process needs to use this database (URL in MEMORY_BANK_DATABASE_URL). */
  env(url?: string): Record<string, string>;
  /** A login role with a random password; returns its URL for this database. */
  role(
    name: string,
    options?: { grants?: string[] },
  ): Promise<{ user: string; password: string; url: string }>;
  close(): Promise<void>;
}

/** A fresh database on `info` (the shared server unless given), dropped by close(). */
export async function testDatabase(
  label: string,
  info: ClusterInfo = sharedCluster(),
): Promise<TestDatabase> {
  const name = `mb_${label.replace(/[^a-z0-9_]/gi, "_").toLowerCase()}_${randomBytes(4).toString("hex")}`;
  const root = await admin(info);
  try {
    await root.query(`CREATE DATABASE ${name}`);
  } finally {
    await root.end();
  }
  const url = clusterUrl(info, name);
  const roles: string[] = [];
  const db: TestDatabase = {
    info,
    name,
    url,
    async sql(text, params) {
      const c = await admin(info, name);
      try {
        return (await c.query(text, params)).rows;
      } finally {
        await c.end();
      }
    },
    env: (u = url) => ({ MEMORY_BANK_DATABASE_URL: u }),
    async role(base, options = {}) {
      const user = `${base}_${randomBytes(3).toString("hex")}`;
      const password = randomBytes(12).toString("base64url");
      await db.sql(`CREATE ROLE ${user} LOGIN PASSWORD '${password}'`);
      roles.push(user);
      for (const g of options.grants ?? []) await db.sql(g.replaceAll("$ROLE", user));
      return { user, password, url: clusterUrl(info, name, user, password) };
    },
    async close() {
      const c = await admin(info);
      try {
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
        for (const r of roles) await c.query(`DROP ROLE IF EXISTS ${r}`);
      } finally {
        await c.end();
      }
    },
  };
  return db;
}

/** memory-bank's config for a project on PostgreSQL (the URL stays in the environment). */
export function postgresConfig(extra: Record<string, unknown> = {}): { memory: Record<string, unknown> } {
  const { postgres, ...rest } = extra as { postgres?: Record<string, unknown> };
  return { memory: { backend: "postgres", postgres: { pollMs: 200, ...postgres }, ...rest } };
}
