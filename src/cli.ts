#!/usr/bin/env node
/**
 * The `memory-bank` binary. Its path (dist/src/cli.js) is what registrations in .mcp.json files
 * name, so it stays put; the command itself lives in cli/.
 */
import { main } from "./cli/main.js";

await main(process.argv);
