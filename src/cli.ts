#!/usr/bin/env node
/**
 * The `memory-bank` binary. Its path (dist/src/cli.js) is what registrations in .mcp.json files
 * name, so it stays put; the command itself lives in cli/. It stays this small because a call a
 * running bank server answers (cli/lean.ts) should cost little more than node's own start.
 */
import { runLean } from "./cli/lean.js";

if (!(await runLean(process.argv.slice(2)))) {
  const { main } = await import("./cli/main.js");
  await main(process.argv);
}
