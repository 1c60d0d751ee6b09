/**
 * The `memory-bank` command: `serve` runs the MCP server on stdio, `ui` the web page; every other verb (verbs/) is a
 * thin mapping of arguments and flags onto one operation, run through the shared invoke path by
 * a process that shares the store with the servers. Exit codes: 0 success, 1 the operation failed
 * (one line on stderr), 2 bad usage (an unknown verb or flag, an argument the operation refuses),
 * 130 interrupted. Under --json an error is also a JSON object on stdout: {"error": {code, message}}.
 */
import { Command, CommanderError } from "commander";
import { VERSION } from "../config/version.js";
import { errorMessage, MemoryError } from "../domain/errors.js";
import { withIoMessage } from "../domain/io-errors.js";
import {
  type AnyVerb,
  type CliIo,
  type Flags,
  type Globals,
  processIo,
  runVerb,
  UsageError,
} from "./verb.js";
import analyze from "./verbs/analyze.js";
import bankServer from "./verbs/bank-server.js";
import batchCleanup from "./verbs/batch-cleanup.js";
import batchStore from "./verbs/batch-store.js";
import concurrentExport from "./verbs/concurrent-export.js";
import debug from "./verbs/debug.js";
import deleteVerb from "./verbs/delete.js";
import exportVerb from "./verbs/export.js";
import get from "./verbs/get.js";
import importVerb from "./verbs/import.js";
import indexStatus from "./verbs/index-status.js";
import indexValidate from "./verbs/index-validate.js";
import init from "./verbs/init.js";
import listVerb from "./verbs/list.js";
import migrate from "./verbs/migrate.js";
import parallelQuery from "./verbs/parallel-query.js";
import performanceReport from "./verbs/performance-report.js";
import query from "./verbs/query.js";
import serve from "./verbs/serve.js";
import stats from "./verbs/stats.js";
import status from "./verbs/status.js";
import store from "./verbs/store.js";
import ui from "./verbs/ui.js";

/** Every verb, in the order --help lists them. */
export const verbs: AnyVerb[] = [
  serve,
  store,
  get,
  deleteVerb,
  query,
  listVerb,
  stats,
  exportVerb,
  importVerb,
  batchStore,
  parallelQuery,
  concurrentExport,
  batchCleanup,
  indexStatus,
  indexValidate,
  performanceReport,
  debug,
  analyze,
  init,
  ui,
  migrate,
  status,
  bankServer,
];

/** One meaning of --namespace, stated once for every verb. */
const NAMESPACE_HELP = `
--namespace NS names the namespace an entry lives in: on store, get and delete the entry's own
(default "default"); on query, list, stats, analyze and export only entries there are read; on
batch-store and import it is the namespace for entries that name none (import --into NS puts
every entry into NS). The project is found by walking up from the working directory to the
nearest claude-flow.config.json, .mcp.json or memory/ store, else the repository root.
Exit codes: 0 ok, 1 the operation failed, 2 bad usage, 130 interrupted.`;

/** What a parsed command line does with its verb: run it here (runVerb), or on a bank server's bank (served.ts). */
export type Act = (verb: AnyVerb, args: string[], flags: Flags, globals: Globals) => Promise<void>;

export function buildCli(act: Act = runVerb, io: CliIo = processIo): Command {
  const program = new Command("memory-bank")
    .description("Persistent, shared memory for LLM agents: MCP server and command line")
    .version(VERSION)
    .option("--config <file>", "config file (default ./claude-flow.config.json, or $MEMORY_BANK_CONFIG)")
    .option("--json", "print machine-readable JSON instead of tables")
    .option("--verbose", "more detail, and the store's log lines on stderr")
    .option("--batchtools", "run batch work through the parallel executor (batchtools.enabled)")
    .option("--parallel", "the seed's flag, accepted by every verb: the same as --batchtools")
    .addHelpText("after", NAMESPACE_HELP)
    .configureHelp({ showGlobalOptions: true })
    .showHelpAfterError()
    .exitOverride();
  // Set before the verbs are added: each command inherits it.
  if (io !== processIo) program.configureOutput({ writeOut: io.out, writeErr: io.err });

  for (const verb of verbs) {
    const command = program.command(verb.name).description(verb.description);
    verb.configure?.(command);
    command.action(async (...params: unknown[]) => {
      const self = params.at(-1) as Command;
      await act(verb, self.processedArgs as string[], self.opts(), program.opts<Globals>());
    });
  }
  return program;
}

export async function main(argv: string[]): Promise<void> {
  const program = buildCli();
  try {
    await program.parseAsync(argv);
  } catch (thrown) {
    process.exit(failure(thrown, argv, processIo));
  }
}

/**
 * How a run that threw ends: the message on stderr (commander has already printed its own), JSON
 * on stdout under --json; the exit code returned.
 */
export function failure(thrown: unknown, argv: string[], io: CliIo): number {
  const json = argv.includes("--json");
  const fail = (code: string, message: string, exit: number, print = true): number => {
    if (print) io.err(`memory-bank: ${message}\n`);
    if (json) io.out(`${JSON.stringify({ error: { code, message } }, null, 2)}\n`);
    return exit;
  };
  const error = withIoMessage(thrown);
  if (error instanceof CommanderError) {
    if (error.exitCode === 0) return 0;
    return fail("USAGE", error.message.replace(/^error: /, ""), 2, false);
  }
  if (error instanceof MemoryError)
    return fail(error.code, error.message, error instanceof UsageError ? 2 : 1);
  // One line for people and scripts; the stack only when asked for.
  const verbose = argv.includes("--verbose");
  const stack = error instanceof Error ? error.stack : undefined;
  return fail("INTERNAL", verbose ? (stack ?? errorMessage(error)) : errorMessage(error), 1);
}
