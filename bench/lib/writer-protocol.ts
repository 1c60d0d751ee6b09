/**
 * The child side of the writer processes (bench/child/writer.ts, sqlite-writer.ts): their
 * arguments, the key each write uses, and the handshake gatedChild() expects: print "ready", then
 * wait for a line on stdin, so that every writer is released at the same moment.
 */
import { Queries } from "./corpus.js";

export interface WriterArgs {
  dir: string;
  id: number;
  count: number;
  inflight: number;
  /** Default "multi". */
  namespace?: string;
  /** Before every key; default "". */
  prefix?: string;
  /** writer.ts: say "ready" only once the background search index is built. */
  waitIndex?: boolean;
}

export function writerArgs(): WriterArgs & {
  namespace: string;
  values: string[];
  keyOf: (i: number) => string;
} {
  const args = JSON.parse(process.argv[2] ?? "{}") as WriterArgs;
  const q = new Queries(1000, 0xabc + args.id);
  const prefix = args.prefix ?? "";
  return {
    ...args,
    namespace: args.namespace ?? "multi",
    values: Array.from({ length: args.count }, () => q.sentence()),
    keyOf: (i) => `${prefix}writer-${args.id}/k-${i}`,
  };
}

/** Prints "ready" and resolves when the parent says go (or closes stdin). */
export async function readyThenWait(): Promise<void> {
  process.stdout.write("ready\n");
  await new Promise<void>((resolve) => {
    process.stdin.once("data", () => resolve());
    process.stdin.once("end", () => resolve());
  });
}
