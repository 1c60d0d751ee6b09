/**
 * Concurrent server processes on one JSON store, compacting every few KiB: concurrency-suite.ts
 * says what they do and what is checked.
 */
import { concurrencySuite } from "./concurrency-suite.js";
import { smallStoreConfig } from "./harness.js";

concurrencySuite({
  name: "json",
  config: () => smallStoreConfig(),
  env: () => ({}),
  separateProjects: false,
  visibility: "immediate",
});
