/**
 * CLI progress bars (cli-progress) for long work. Only when stdout is a terminal and the output is
 * not --json: piped output and scripts get the result and nothing else.
 */
import cliProgress from "cli-progress";
import type { OperationContext } from "../../service/operations/operation.js";

export interface Bar extends OperationContext {
  stop(): void;
}

export function progressBar(label: string, enabled: boolean): Bar {
  if (!enabled) return { stop: () => {} };
  let bar: cliProgress.SingleBar | undefined;
  return {
    onProgress: (done, total) => {
      if (!bar) {
        bar = new cliProgress.SingleBar(
          {
            format: `${label} [{bar}] {percentage}% {value}/{total} {eta_formatted}`,
            hideCursor: true,
            clearOnComplete: true,
          },
          cliProgress.Presets.shades_classic,
        );
        bar.start(total, 0);
      }
      bar.setTotal(total);
      bar.update(done);
    },
    stop: () => bar?.stop(),
  };
}
