/**
 * The Backend contract cases (contract-cases.ts) against PostgreSQL, and against the JSON store
 * as the reference that shows the cases ask nothing backend-specific. Each PostgreSQL case gets
 * a schema of its own in this file's database; "instances" are separate backends with their own
 * connections, as separate processes would be.
 */
import { afterAll, beforeAll } from "vitest";
import { JsonStore } from "../../../src/store/json-store.js";
import { PostgresBackend } from "../../../src/store/postgres/backend.js";
import { PostgresConfigSchema, resolveSettings } from "../../../src/store/postgres/settings.js";
import { dataPath, removeDir, tempDir } from "../fixtures.js";
import { type TestDatabase, testDatabase } from "./cluster.js";
import { backendContract } from "./contract-cases.js";

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
  async store() {
    const schema = `contract_${++schemas}`;
    const settings = resolveSettings(PostgresConfigSchema.parse({ schema, pollMs: 200 }), db.env());
    const opened: PostgresBackend[] = [];
    return {
      backend(options = {}) {
        const b = new PostgresBackend({ settings, log: () => {}, ...options });
        opened.push(b);
        return b;
      },
      async cleanup() {
        for (const b of opened) await b.close().catch(() => {});
        await db.sql(`DROP SCHEMA ${schema} CASCADE`);
      },
    };
  },
});

backendContract("json (reference)", {
  visibility: "immediate",
  async store() {
    const dir = tempDir();
    const opened: JsonStore[] = [];
    return {
      backend(options = {}) {
        const b = new JsonStore({ dataPath: dataPath(dir), log: () => {}, ...options });
        opened.push(b);
        return b;
      },
      async cleanup() {
        for (const b of opened) await b.close().catch(() => {});
        removeDir(dir);
      },
    };
  },
});
