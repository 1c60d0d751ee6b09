import { defineConfig } from "vitest/config";
import { ISOLATED, MCP_SUITES, SYSTEM } from "./test/setup/tiers.js";

/**
 * Two tiers, both run by `npm test` (which builds first):
 * - fast (`npm run test:fast`): everything in-process: search, the store through the Backend
 *   contract, the service, the MCP tools over the SDK's in-memory transport. Its files share
 *   one module registry per worker (loading the service once, not once per file), except the
 *   few that mock a module (test/setup/tiers.ts).
 * - system (`npm run test:system`): real processes running the compiled dist/ (stdio servers,
 *   the CLI binary, SIGKILL, several processes on one store, hostile input over stdio, worker
 *   threads, the PostgreSQL backend against a real server), and the MCP suites once more over
 *   real stdio. Its set-up refuses a dist/ that does
 *   not match src/, so no test runs stale code.
 *
 * CI runs on a busy 2-core machine: a test that spawns processes must not fail because the
 * machine was slow. No test depends on wall-clock speed; these timeouts only bound a hang.
 *
 * Processes the suites start open the store themselves (MEMORY_BANK_SHARED=0, inherited by every
 * child): they test what one process does with the store. The shared bank server is tested on its
 * own (test/server/, test/reliability/bank-server.test.ts), whose processes get SHARED_ENV.
 */
export default defineConfig({
  test: {
    env: { MEMORY_BANK_SHARED: "0" },
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Vitest's default is one worker per core minus one: a single worker on a 2-core CI machine.
    // System tests spend most of their time waiting on the processes they start, so two files
    // at a time keep both cores busy without any test depending on speed.
    maxWorkers: 2,
    projects: [
      {
        extends: true,
        test: {
          name: "fast",
          include: ["test/**/*.test.ts"],
          exclude: [...SYSTEM, ...ISOLATED],
          isolate: false,
        },
      },
      {
        extends: true,
        test: { name: "fast-isolated", include: ISOLATED },
      },
      {
        extends: true,
        test: {
          name: "system",
          include: SYSTEM,
          // One PostgreSQL server for the tier (test/setup/postgres.ts): each PostgreSQL test file
          // makes a database of its own on it.
          globalSetup: ["test/setup/fresh-dist.ts", "test/setup/postgres.ts"],
        },
      },
      {
        extends: true,
        test: {
          name: "system-stdio",
          include: MCP_SUITES,
          env: { MEMORY_BANK_TEST_TRANSPORT: "stdio" },
          globalSetup: ["test/setup/fresh-dist.ts"],
        },
      },
    ],
  },
});
