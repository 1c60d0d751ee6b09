/**
 * Which test files run in which tier (vitest.config.ts). A file belongs to the system tier when
 * it runs real processes or the compiled dist/: everything under these folders, and elsewhere
 * any file named *.system.test.ts (beside the tests of the module it exercises).
 */
export const SYSTEM = [
  "test/cli/**/*.test.ts",
  "test/e2e/**/*.test.ts",
  "test/reliability/**/*.test.ts",
  "test/bench/**/*.test.ts",
  "test/**/*.system.test.ts",
];

/** The MCP suites: in-process in the fast tier, and again over real stdio in the system tier. */
export const MCP_SUITES = ["test/mcp/**/*.test.ts"];

/**
 * Fast-tier files that replace a module with vi.mock: they need a module registry of their own,
 * so they do not run in the fast tier's shared one (where the module would already be loaded
 * unmocked, and the test would not test what it says).
 */
export const ISOLATED = ["test/store/json/refresh-race.test.ts"];
