/**
 * The hostile-input suite (test/reliability/hostile-suite.ts) against a server on PostgreSQL:
 * the same random and adversarial arguments, raw protocol lines, 8 MiB values and 100,000-entry
 * batches, and the same checks (an answer for every call, the process up, nothing outside the
 * project, the store valid for a fresh process).
 */
import { hostileSuite } from "../../reliability/hostile-suite.js";
import { type TestDatabase, testDatabase } from "./cluster.js";

let db: TestDatabase | undefined;

hostileSuite({
  name: "postgres",
  memory: { backend: "postgres", postgres: { pollMs: 200 } },
  env: async () => {
    db = await testDatabase("hostile");
    return db.env();
  },
  cleanup: async () => {
    await db?.close();
  },
});
