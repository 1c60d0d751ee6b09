#!/usr/bin/env node
/**
 * The `memory-bank` command: `serve` runs the MCP server on stdio; the other verbs are a thin shell
 * over the same MemoryBank service the tools use.
 */
import { Command, CommanderError } from "commander";
import { loadConfig } from "./config.js";
import { MemoryError } from "./errors.js";
import { serveStdio } from "./server.js";
import { VERSION } from "./version.js";

const log = (m: string) => process.stderr.write(`memory-bank: ${m}\n`);

export function buildCli(): Command {
  const program = new Command("memory-bank")
    .description("Persistent, shared memory for LLM agents: MCP server and command line")
    .version(VERSION)
    .option("--config <file>", "config file (default ./claude-flow.config.json, or $MEMORY_BANK_CONFIG)")
    .exitOverride();

  program
    .command("serve")
    .description("run the MCP server on stdio (stdout carries protocol only)")
    .action(async () => {
      const loaded = loadConfig(configSource(program));
      const running = await serveStdio(loaded, log);
      await running.done;
      process.exit(0);
    });

  return program;
}

function configSource(program: Command) {
  const opts = program.opts<{ config?: string }>();
  return opts.config ? { configPath: opts.config } : {};
}

async function main(argv: string[]): Promise<void> {
  const program = buildCli();
  try {
    await program.parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      process.exit(error.exitCode === 0 ? 0 : 2);
    }
    if (error instanceof MemoryError) {
      process.stderr.write(`memory-bank: ${error.message}\n`);
      process.exit(1);
    }
    process.stderr.write(`memory-bank: ${(error as Error)?.stack ?? String(error)}\n`);
    process.exit(1);
  }
}

await main(process.argv);
