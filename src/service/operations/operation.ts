/**
 * One definition per operation: its input and output schemas, the service call, and its short
 * text rendering. Every door uses the same definition: an MCP tool (mcp/tools/) adds only its
 * description and annotations, a CLI verb (cli/verbs/) only how its arguments and flags map to
 * the input (and a table where one helps). Neither holds a rule of its own, so the doors cannot
 * drift apart, and a new door (HTTP, the web page) is one more mapping over the same list.
 */
import type { z } from "zod";
import type { LoadedConfig } from "../../config/config.js";
import type { MemoryBank, MemoryBankOptions } from "../bank.js";
import type { ItemError } from "./batch-store.js";

export interface OperationContext {
  /** Called as the work advances: (done, total); MCP progress notifications, CLI progress bars. */
  onProgress?: (done: number, total: number, message?: string) => void;
  /** Called when the work enters a step with no count yet ("reading data.json (120 MiB)"). */
  onPhase?: (message: string) => void;
  signal?: AbortSignal;
}

interface Definition<I extends z.ZodObject, O extends z.ZodObject> {
  /** The name calls are recorded under (session records), and the MCP tool's name when it is one. */
  name: string;
  input: I;
  output: O;
  /** A short text rendering of the result, for agents and for the CLI where no table is better. */
  render(output: z.output<O>): string;
  /** Items a call processed (batch throughput in session records); absent for single-item operations. */
  items?(output: z.output<O>): number;
  /** Entries the answer points to for reading whole (MCP resource_link content): previews of long values. */
  links?(output: z.output<O>): Array<{ uri: string; name: string }>;
}

/** An operation on an open bank: every operation but the few below. */
export interface Operation<I extends z.ZodObject = z.ZodObject, O extends z.ZodObject = z.ZodObject>
  extends Definition<I, O> {
  run(bank: MemoryBank, input: z.output<I>, ctx: OperationContext): Promise<z.output<O>> | z.output<O>;
}

/** What an operation that opens the bank itself is given. */
export interface SetupContext extends OperationContext {
  /** The project's config (read on first use: init runs where there may be none yet). */
  config(): LoadedConfig;
  /** The directory the command was started in. */
  cwd: string;
  /** Where the store's log lines go (stderr for the CLI). */
  log(message: string): void;
  /** Opens the bank; the caller closes it after the operation. */
  open(options?: Pick<MemoryBankOptions, "rebuildWithoutBackup">): Promise<MemoryBank>;
}

/**
 * An operation that must look at the store before it is opened (index-validate: opening repairs
 * what it can by itself), or that has no store to open (init).
 */
export interface SetupOperation<I extends z.ZodObject = z.ZodObject, O extends z.ZodObject = z.ZodObject>
  extends Definition<I, O> {
  setup(input: z.output<I>, ctx: SetupContext): Promise<z.output<O>>;
}

// biome-ignore lint/suspicious/noExplicitAny: registries hold operations of every shape
export type AnyOperation = Operation<any, any>;
// biome-ignore lint/suspicious/noExplicitAny: registries hold operations of every shape
export type AnySetupOperation = SetupOperation<any, any>;

export function defineOperation<I extends z.ZodObject, O extends z.ZodObject>(
  op: Operation<I, O>,
): Operation<I, O> {
  return op;
}

export function defineSetupOperation<I extends z.ZodObject, O extends z.ZodObject>(
  op: SetupOperation<I, O>,
): SetupOperation<I, O> {
  return op;
}

/** Most keys listed in a delete or cleanup answer; the counts are always complete. */
export const MAX_LISTED_KEYS = 1000;

/** Compact one-line JSON for text renderings, cut so a huge value never floods a context or a terminal. */
export function brief(value: unknown, max = 200): string {
  const s = typeof value === "string" ? value : JSON.stringify(value);
  return s.length > max ? `${s.slice(0, max)}…` : s;
}

/** The first item errors of a batch as lines, `- <what> 3 ('key'): message`, and how many more there are. */
export function itemErrorLines(errors: readonly ItemError[], what: string): string[] {
  return [
    ...errors.slice(0, 20).map((e) => `- ${what} ${e.index}${e.key ? ` ('${e.key}')` : ""}: ${e.message}`),
    ...(errors.length > 20 ? [`- ... and ${errors.length - 20} more errors`] : []),
  ];
}

/** "1 entry", "2 entries". */
export function entries(n: number): string {
  return `${n} entr${n === 1 ? "y" : "ies"}`;
}
