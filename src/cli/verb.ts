/**
 * A CLI verb: one operation (service/operations/) and how the command line reaches it. A verb
 * file declares its arguments and options, maps them to the operation's input, and may add a
 * table where one reads better than the operation's short text, the settings its flags impose
 * (--parallel), and when a completed run still exits 1. `runVerb` is the CLI's half of the
 * shared invoke path: it opens the bank, records the run in a session record, prints the result
 * and always closes the bank (the process shares the store with the servers).
 */
import { existsSync } from "node:fs";
import type { Command } from "commander";
import type { z } from "zod";
import { type ConfigOverrides, type LoadedConfig, loadConfig } from "../config/config.js";
import { MemoryError } from "../domain/errors.js";
import { parseInput } from "../domain/input.js";
import type { MemoryBank } from "../service/bank.js";
import { invoke } from "../service/operations/invoke.js";
import type {
  Operation,
  OperationContext,
  SetupContext,
  SetupOperation,
} from "../service/operations/operation.js";
import type { SessionRecorder } from "../telemetry/sessions.js";
import { UsageError } from "./options.js";
import { progress } from "./render/progress.js";

/** The options every verb understands (before or after the verb). */
export interface Globals {
  config?: string;
  json?: boolean;
  verbose?: boolean;
  batchtools?: boolean;
  /** The seed's `--parallel`, accepted by every verb: batch work through the parallel executor. */
  parallel?: boolean;
}

export { UsageError };

// biome-ignore lint/suspicious/noExplicitAny: commander's options are untyped
export type Flags = Record<string, any>;

/** One run of a verb: the operation's input as parsed, and the command line it came from. */
export interface VerbCall<I> {
  input: I;
  flags: Flags;
  globals: Globals;
}

interface VerbBase<I, O> {
  name: string;
  description: string;
  /** Declares the verb's arguments and options. */
  configure?(command: Command): Command;
  /** How the arguments and flags become the operation's input (checked against its schema). */
  input(args: string[], flags: Flags, globals: Globals): unknown;
  /** A table to print instead of the operation's short text. */
  table?(output: O, call: VerbCall<I>): string;
  /** Why a run that completed is still a failure (exit 1), if it is. */
  failure?(output: O, call: VerbCall<I>): string | undefined;
  /**
   * The flags that set input fields under another name (keyPrefix: "--prefix"): messages about
   * those fields speak of the flag a person typed.
   */
  flagNames?: Record<string, string>;
}

export interface BankVerb<I extends z.ZodObject, O extends z.ZodObject>
  extends VerbBase<z.output<I>, z.output<O>> {
  operation: Operation<I, O>;
  /** Settings the flags impose over the config file's for this run (--parallel). */
  overrides?(flags: Flags): ConfigOverrides;
  /**
   * Long work: the label of its progress bar (shown when stdout is a terminal and the output is
   * not --json), and the word for what is done ("stored") in the line Ctrl-C prints.
   */
  progress?: { label: string; done: string };
  /** Only reads: a store that does not exist yet reads as empty, and the run creates no file. */
  readOnly?: boolean;
  /**
   * false when the operation reads something relative to the command's directory (a file
   * argument it resolves itself), which a bank server started elsewhere would read wrongly: the
   * verb then always runs in-process.
   */
  attach?: false;
}

export interface SetupVerb<I extends z.ZodObject, O extends z.ZodObject>
  extends VerbBase<z.output<I>, z.output<O>> {
  setup: SetupOperation<I, O>;
}

/** A verb that is a door of its own (serve, ui). */
export interface DoorVerb {
  name: string;
  description: string;
  configure?(command: Command): Command;
  action(globals: Globals, flags: Flags): Promise<void>;
}

// biome-ignore lint/suspicious/noExplicitAny: the list holds verbs of every shape
export type AnyVerb = BankVerb<any, any> | SetupVerb<any, any> | DoorVerb;

export function defineVerb<I extends z.ZodObject, O extends z.ZodObject>(
  verb: BankVerb<I, O>,
): BankVerb<I, O> {
  return verb;
}

export function defineSetupVerb<I extends z.ZodObject, O extends z.ZodObject>(
  verb: SetupVerb<I, O>,
): SetupVerb<I, O> {
  return verb;
}

export const log = (m: string) => process.stderr.write(`memory-bank: ${m}\n`);

/**
 * Where a run's output goes: this process's stdout and stderr and exit code, or the text a bank
 * server that ran the command line sends back to the CLI that typed it (served.ts).
 */
export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  setExit(code: number): void;
}

export const processIo: CliIo = {
  out: (text) => void process.stdout.write(text),
  err: (text) => void process.stderr.write(text),
  setExit: (code) => {
    process.exitCode = code;
  },
};

/** What a bank server lends a verb it runs itself: its bank, its session record, its settings. */
export interface ServedBank {
  bank: MemoryBank;
  recorder: SessionRecorder | undefined;
  loaded: LoadedConfig;
}

/**
 * The verb's operation on a bank server's own bank (served.ts): everything runVerb does between
 * opening a bank and closing it, with the output going to `io`.
 */
export async function runVerbOn(
  // biome-ignore lint/suspicious/noExplicitAny: any bank verb
  verb: BankVerb<any, any>,
  args: string[],
  flags: Flags,
  globals: Globals,
  served: ServedBank,
  io: CliIo,
): Promise<void> {
  const op = verb.operation;
  for (const w of served.loaded.warnings) io.err(`memory-bank: warning: ${w}\n`);
  let input: unknown;
  const outcome = await invoke(
    async () => {
      input = parseVerbInput(op.input, await verb.input(args, flags, globals));
      return op.run(served.bank, input, {});
    },
    { label: `cli:${verb.name}`, recorder: served.recorder, items: op.items },
  );
  if (!outcome.ok) throw inFlagTerms(outcome.error, verb.flagNames);
  emit(verb, outcome.output, { input, flags, globals }, io);
}

export function loadProject(globals: Globals): LoadedConfig {
  const loaded = loadConfig(globals.config ? { configPath: globals.config } : {});
  for (const w of loaded.warnings) log(`warning: ${w}`);
  return loaded;
}

/** The line --verbose (and `serve`) prints: which store, and how its project was found. */
export function storeLine(loaded: LoadedConfig): string {
  return `store ${loaded.dataPath} (project ${loaded.projectDir}, found by ${loaded.foundBy ?? "working directory"})`;
}

export async function runVerb(verb: AnyVerb, args: string[], flags: Flags, globals: Globals): Promise<void> {
  if ("action" in verb) return verb.action(globals, flags);
  if ("setup" in verb) return runSetupVerb(verb, args, flags, globals);
  const op = verb.operation;
  const loaded = loadProject(globals);
  if (globals.verbose) log(storeLine(loaded));
  const overrides = verb.overrides?.(flags) ?? {};
  if (globals.batchtools || globals.parallel)
    overrides.batchtools = { ...overrides.batchtools, enabled: true };
  // A running bank server answers at once (it holds the store loaded); settings imposed for
  // this run only (--parallel, --batchtools) need a bank of their own, so they run in-process.
  if (
    verb.attach !== false &&
    Object.keys(overrides).length === 0 &&
    (await runAttached(verb, args, flags, globals, loaded))
  )
    return;
  // Loaded only here: a call answered by the bank server never loads the store's code.
  const [{ MemoryBank }, { SessionRecorder }] = await Promise.all([
    import("../service/bank.js"),
    import("../telemetry/sessions.js"),
  ]);
  const bank = await MemoryBank.open(loaded, {
    log: storeLog(globals.verbose ?? false),
    overrides,
    ...(verb.readOnly ? { readOnly: true } : {}),
  });
  let recorder: SessionRecorder | undefined;
  const interrupt = verb.progress ? new Interrupt() : undefined;
  try {
    // A read-only run records itself only in a store that already keeps records: it creates nothing.
    if (!verb.readOnly || existsSync(bank.layout.sessions)) {
      recorder = await SessionRecorder.start(bank.layout.sessions, bank.retention, {
        now: () => bank.now(),
        kind: "cli",
        command: verb.name,
        log,
      });
    }
    const bar = verb.progress ? progress({ label: verb.progress.label, show: showBars(globals) }) : undefined;
    const ctx: OperationContext = bar
      ? {
          onProgress: bar.onProgress,
          onPhase: bar.onPhase,
          ...(interrupt ? { signal: interrupt.signal } : {}),
        }
      : {};
    interrupt?.onInterrupt(() => bar?.stop());
    let input: unknown;
    // Parsing is part of the call, so a refused input is recorded like any other failed call.
    const outcome = await invoke(
      async () => {
        input = parseVerbInput(op.input, await verb.input(args, flags, globals));
        return op.run(bank, input, ctx);
      },
      { label: `cli:${verb.name}`, recorder, items: op.items },
    ).finally(() => bar?.stop());
    if (interrupt?.interrupted && bar && verb.progress) {
      const total = bar.total ?? bar.done;
      process.stderr.write(
        `memory-bank: interrupted: ${bar.done.toLocaleString("en-US")} of ${total.toLocaleString("en-US")} ${verb.progress.done}\n`,
      );
      process.exitCode = 130;
      return;
    }
    if (!outcome.ok) throw inFlagTerms(outcome.error, verb.flagNames);
    emit(verb, outcome.output, { input, flags, globals });
  } finally {
    interrupt?.dispose();
    await recorder?.close();
    await bank.close();
  }
}

/**
 * Runs the verb's operation on the store's bank server when one is running (and
 * memory.server.shared is on): the same definition, run there, its result printed here. False
 * when there is none: the caller runs it in-process. The input is parsed here too, so a bad
 * argument is refused before anything is sent, with the same message.
 */
async function runAttached(
  // biome-ignore lint/suspicious/noExplicitAny: any bank verb
  verb: BankVerb<any, any>,
  args: string[],
  flags: Flags,
  globals: Globals,
  loaded: LoadedConfig,
): Promise<boolean> {
  const { sharedEnabled } = await import("../server/endpoint.js");
  if (!sharedEnabled(loaded)) return false;
  const { attach, BankCalls } = await import("../server/client.js");
  const attached = await attach(loaded, { role: "cli", start: false });
  if (!attached.ok) {
    if (globals.verbose) log(`running in-process: ${attached.reason}`);
    return false;
  }
  const calls = new BankCalls(attached.socket);
  try {
    const raw = await verb.input(args, flags, globals);
    const input = parseVerbInput(verb.operation.input, raw);
    const bar = verb.progress ? progress({ label: verb.progress.label, show: showBars(globals) }) : undefined;
    const output = await calls
      .run(verb.operation.name, raw, verb.name, bar?.onProgress)
      .catch((error: unknown) => {
        throw inFlagTerms(error, verb.flagNames);
      })
      .finally(() => bar?.stop());
    emit(verb, output, { input, flags, globals });
    return true;
  } finally {
    calls.close();
  }
}

/**
 * Ctrl-C during long work: the first one stops the work where it stands (what is committed stays
 * committed), removes the bar and restores the cursor, and the run reports how far it got; a
 * second one exits at once.
 */
class Interrupt {
  private readonly controller = new AbortController();
  private readonly listeners: Array<() => void> = [];
  interrupted = false;
  private readonly handler = () => {
    if (this.interrupted) {
      process.stderr.write("\x1b[?25h");
      process.exit(130);
    }
    this.interrupted = true;
    for (const l of this.listeners) l();
    this.controller.abort();
  };
  constructor() {
    process.on("SIGINT", this.handler);
  }
  get signal(): AbortSignal {
    return this.controller.signal;
  }
  onInterrupt(listener: () => void): void {
    this.listeners.push(listener);
  }
  dispose(): void {
    process.off("SIGINT", this.handler);
  }
}

/** The operation's schema applied to what the command line gave: a refusal is bad usage. */
function parseVerbInput(schema: z.ZodType, input: unknown): unknown {
  try {
    return parseInput(schema, input);
  } catch (error) {
    if (error instanceof MemoryError) throw new UsageError(error.code, error.message);
    throw error;
  }
}

/** An error's message with the operation's field names replaced by the verb's flags. */
function inFlagTerms(error: unknown, names: Record<string, string> | undefined): unknown {
  if (!names || !(error instanceof MemoryError)) return error;
  let message = error.message;
  for (const [field, flag] of Object.entries(names))
    message = message.replace(new RegExp(`\\b${field}\\b`, "g"), flag);
  if (message === error.message) return error;
  const Kind = error instanceof UsageError ? UsageError : MemoryError;
  return new Kind(error.code, message, error.details);
}

async function runSetupVerb(
  // biome-ignore lint/suspicious/noExplicitAny: any setup verb
  verb: SetupVerb<any, any>,
  args: string[],
  flags: Flags,
  globals: Globals,
): Promise<void> {
  const op = verb.setup;
  const opened: MemoryBank[] = [];
  let loaded: LoadedConfig | undefined;
  const ctx: SetupContext = {
    cwd: process.cwd(),
    log: storeLog(globals.verbose ?? false),
    config: () => {
      if (!loaded) {
        loaded = loadProject(globals);
        if (globals.verbose) log(storeLine(loaded));
      }
      return loaded;
    },
    open: async (options = {}) => {
      const { MemoryBank } = await import("../service/bank.js");
      const bank = await MemoryBank.open(ctx.config(), {
        log: storeLog(globals.verbose ?? false),
        ...(globals.batchtools || globals.parallel ? { overrides: { batchtools: { enabled: true } } } : {}),
        ...options,
      });
      opened.push(bank);
      return bank;
    },
  };
  try {
    let input: unknown;
    const outcome = await invoke(
      async () => {
        input = parseVerbInput(op.input, await verb.input(args, flags, globals));
        return op.setup(input, ctx);
      },
      { label: `cli:${verb.name}` },
    );
    if (!outcome.ok) throw inFlagTerms(outcome.error, verb.flagNames);
    emit(verb, outcome.output, { input, flags, globals });
  } finally {
    for (const bank of opened) await bank.close();
  }
}

function emit(
  // biome-ignore lint/suspicious/noExplicitAny: any verb's output
  verb: BankVerb<any, any> | SetupVerb<any, any>,
  output: unknown,
  call: VerbCall<unknown>,
  io: CliIo = processIo,
): void {
  const op = "setup" in verb ? verb.setup : verb.operation;
  const text = call.globals.json
    ? JSON.stringify(output, null, 2)
    : (verb.table?.(output, call) ?? op.render(output));
  if (text) io.out(`${text}\n`);
  const failure = verb.failure?.(output, call);
  if (failure) {
    io.err(`memory-bank: ${failure}\n`);
    io.setExit(1);
  }
}

function showBars(globals: Globals): boolean {
  return !globals.json && process.stdout.isTTY === true;
}

function storeLog(verbose: boolean): (m: string) => void {
  // Routine compaction at exit is noise for a CLI run; problems the store reports are not.
  return (m) => {
    if (verbose || !m.startsWith("compacted")) log(m);
  };
}
