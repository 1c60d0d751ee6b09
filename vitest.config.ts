import { defineConfig } from "vitest/config";

// CI runs on a busy 2-core machine: a test that spawns processes must not fail because the
// machine was slow. No test depends on wall-clock speed; these only bound a hang.
export default defineConfig({
  test: {
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // One PostgreSQL server for the run; each PostgreSQL test file makes its own database.
    globalSetup: ["test/store/postgres/global-setup.ts"],
  },
});
