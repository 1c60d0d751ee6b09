/**
 * CLI progress for long work: a bar (cli-progress, on stderr) with a label, counts and an ETA,
 * and a phase line for the steps that have no count yet (reading and parsing a big file). Shown
 * only when stdout is a terminal and the output is not --json: piped output and scripts get the
 * result and nothing else. The counts are kept either way, for the line an interrupted run
 * prints ("interrupted: 46,000 of 100,000 stored").
 */
import cliProgress from "cli-progress";
import type { OperationContext } from "../../service/operations/operation.js";

export interface Progress extends Required<Pick<OperationContext, "onProgress" | "onPhase">> {
  /** The last counts reported, if any. */
  readonly done: number;
  readonly total: number | undefined;
  /** Removes the bar and shows the cursor again. Safe to call more than once. */
  stop(): void;
}

export interface ProgressOptions {
  /** What the work is ("storing", "importing"). */
  label: string;
  /** Draw on the terminal (false: only keep the counts). */
  show: boolean;
  stream?: NodeJS.WriteStream;
  now?: () => number;
}

export function progress(options: ProgressOptions): Progress {
  const stream = options.stream ?? process.stderr;
  const now = options.now ?? (() => performance.now());
  let bar: cliProgress.SingleBar | undefined;
  let stopped = false;
  let started: number | undefined;
  let done = 0;
  let total: number | undefined;
  const state = {
    get done() {
      return done;
    },
    get total() {
      return total;
    },
    onPhase: (message: string) => {
      // A line of its own before the bar appears: once counting starts, the bar says it all.
      if (options.show && !bar && !stopped) stream.write(`${options.label}: ${message}…\n`);
    },
    onProgress: (d: number, t: number) => {
      done = d;
      total = t;
      started ??= now();
      // Once stopped (finished, or Ctrl-C), work still in flight must not draw a new bar.
      if (!options.show || stopped) return;
      if (!bar) {
        bar = new cliProgress.SingleBar(
          {
            format: `${options.label} [{bar}] {percentage}% {count} | ETA {remaining}`,
            stream,
            hideCursor: true,
            clearOnComplete: true,
          },
          cliProgress.Presets.shades_classic,
        );
        bar.start(t, 0, payload());
      }
      bar.setTotal(t);
      bar.update(d, payload());
    },
    stop: () => {
      stopped = true;
      bar?.stop();
      bar = undefined;
    },
  };
  const payload = () => ({
    count: `${done.toLocaleString("en-US")}/${(total ?? 0).toLocaleString("en-US")}`,
    remaining: eta(started === undefined ? 0 : now() - started, done, total ?? 0),
  });
  return state;
}

/**
 * Time left, from the average rate since the first report. cli-progress's own ETA averages the
 * last few updates, which arrive in bursts (one per committed chunk, several in one millisecond)
 * and so read as an infinite rate: "0s" for the whole run.
 */
export function eta(elapsedMs: number, done: number, total: number): string {
  if (done >= total && total > 0) return "0s";
  if (done <= 0 || elapsedMs < 250) return "--";
  const left = ((total - done) * elapsedMs) / done / 1000;
  if (left < 60) return `${Math.ceil(left)}s`;
  if (left < 3600) return `${Math.floor(left / 60)}m${String(Math.ceil(left % 60)).padStart(2, "0")}s`;
  return `${Math.floor(left / 3600)}h${String(Math.floor((left % 3600) / 60)).padStart(2, "0")}m`;
}
