/**
 * A command line run by the bank server (cli/lean.ts sent it): parsed by the same commander
 * program and verb definitions as in the CLI's own process, its operation run on the server's
 * bank, what it prints and its exit code collected and sent back. One definition of how
 * arguments become an operation's input, wherever the command runs.
 */
import type { ArgvResult } from "../server/wire-schema.js";
import { leanPath, SERVED_VERBS } from "./lean.js";
import { buildCli, failure } from "./main.js";
import { type CliIo, runVerbOn, type ServedBank } from "./verb.js";

/** The verb needs what only the CLI's own process has. */
class FullPath extends Error {}

export async function runServed(argv: string[], served: ServedBank): Promise<ArgvResult> {
  if (leanPath(argv) !== "served") return { fallback: "not a command line the bank server runs" };
  const stdout: string[] = [];
  const stderr: string[] = [];
  let exitCode = 0;
  const io: CliIo = {
    out: (t) => void stdout.push(t),
    err: (t) => void stderr.push(t),
    setExit: (c) => {
      exitCode = c;
    },
  };
  const program = buildCli(async (verb, args, flags, globals) => {
    const imposes = "operation" in verb && Object.keys(verb.overrides?.(flags) ?? {}).length > 0;
    if (!("operation" in verb) || !SERVED_VERBS.has(verb.name) || verb.attach === false || imposes)
      throw new FullPath(verb.name);
    await runVerbOn(verb, args, flags, globals, served, io);
  }, io);
  try {
    await program.parseAsync(argv, { from: "user" });
  } catch (thrown) {
    if (thrown instanceof FullPath) return { fallback: `${thrown.message} runs in the CLI's own process` };
    exitCode = failure(thrown, argv, io);
  }
  return { stdout: stdout.join(""), stderr: stderr.join(""), exitCode };
}
