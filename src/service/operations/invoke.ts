/**
 * The one path every call of an operation takes, whichever door it came through: the call is
 * recorded in the process's session record (latency, outcome, items processed), and whatever it
 * throws becomes one error with a stable code. A door only turns the outcome into its own form:
 * an MCP result (`isError` with the fix) or CLI output and an exit status.
 */
import { MemoryError } from "../../domain/errors.js";
import { withIoMessage } from "../../domain/io-errors.js";

/** Where calls are recorded (telemetry/sessions.ts's SessionRecorder). */
export interface CallRecorder {
  begin(op: string): { end(error?: string, items?: number): void };
}

export type Outcome<O> =
  | { ok: true; output: O }
  /** `error` is a MemoryError for every failure an agent or a person can act on; `code` is INTERNAL otherwise. */
  | { ok: false; error: unknown; code: string };

export interface CallOptions<O> {
  /** The name the call is recorded under. */
  label: string;
  recorder?: CallRecorder | undefined;
  items?: ((output: O) => number) | undefined;
}

export async function invoke<O>(run: () => Promise<O> | O, options: CallOptions<O>): Promise<Outcome<O>> {
  const call = options.recorder?.begin(options.label);
  try {
    const output = await run();
    call?.end(undefined, options.items?.(output));
    return { ok: true, output };
  } catch (thrown) {
    // File-system errors are worded with their fix here, once for both doors.
    const error = withIoMessage(thrown);
    const code = error instanceof MemoryError ? error.code : "INTERNAL";
    call?.end(code);
    return { ok: false, error, code };
  }
}
