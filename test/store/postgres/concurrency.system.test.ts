/**
 * The concurrency suite (test/reliability/concurrency-suite.ts) on PostgreSQL: every server
 * process in a project directory of its own, all on one database, as machines would be.
 */
import { concurrencySuite } from "../../reliability/concurrency-suite.js";
import { postgresConfig, type TestDatabase, testDatabase } from "./cluster.js";

let db: TestDatabase | undefined;
let runs = 0;

concurrencySuite({
  name: "postgres",
  // Each run a schema of its own: the model starts from an empty store.
  config: () => postgresConfig({ postgres: { schema: `conc_${runs}` } }),
  env: async () => {
    runs++;
    db ??= await testDatabase("concurrency");
    return db.env();
  },
  separateProjects: true,
  visibility: "eventual",
  cleanup: async () => {
    await db?.close();
  },
});
