/**
 * The PostgreSQL backend held to the Backend contract (test/store/contract.ts): each case gets a
 * schema of its own in this file's database on the run's PostgreSQL server (test/setup/postgres.ts);
 * several backends over one schema have their own connections, as separate processes would.
 */
import { afterAll, beforeAll } from "vitest";
import { PostgresConfigSchema } from "../../../src/config/postgres.js";
import { PostgresBackend } from "../../../src/store/postgres/backend.js";
import { resolveSettings } from "../../../src/store/postgres/settings.js";
import { backendContract } from "../contract.js";
import { type TestDatabase, testDatabase } from "./cluster.js";

let db: TestDatabase;
beforeAll(async () => {
  db = await testDatabase("contract");
});
afterAll(async () => {
  await db?.close();
});

let schemas = 0;
backendContract("postgres", {
  visibility: "eventual",
  place: () => `contract_${++schemas}`,
  create: (schema, options) =>
    new PostgresBackend({
      settings: resolveSettings(PostgresConfigSchema.parse({ schema, pollMs: 200 }), db.env()),
      log: () => {},
      ...options,
    }),
  remove: async (schema) => {
    await db.sql(`DROP SCHEMA IF EXISTS ${schema as string} CASCADE`);
  },
});
