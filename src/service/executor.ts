/**
 * The parallel batch executor: runs work items with bounded concurrency (p-limit), in chunks so
 * progress and cancellation have regular checkpoints and memory stays bounded, retries transient
 * failures (lock busy, EAGAIN) with jittered exponential backoff, and returns one outcome per item.
 * One failing item never sinks the others; callers that need all-or-nothing commit atomically.
 */
import pLimit from "p-limit";
import { errorMessage, isTransient, MemoryError } from "../domain/errors.js";
import { withIoMessage } from "../domain/io-errors.js";
import { batchCounters } from "../telemetry/counters.js";

export interface BatchOptions {
  /** Items in flight at once (batchtools.maxConcurrent, or performance.concurrentQueries). */
  concurrency: number;
  /** Items per chunk: the next chunk starts when the previous one is done (batchtools.batchSize). */
  chunkSize?: number;
  /** Extra attempts for transient failures. */
  retries?: number;
  /** First backoff delay; doubles per attempt, with jitter. */
  retryDelayMs?: number;
  signal?: AbortSignal;
  /** Called after each finished item with (done, total). */
  onProgress?: (done: number, total: number) => void;
  isRetryable?: (error: unknown) => boolean;
}

export type Outcome<R> =
  | { ok: true; value: R; attempts: number }
  | { ok: false; error: unknown; message: string; attempts: number };

export interface BatchReport<R> {
  outcomes: Outcome<R>[];
  retries: number;
  /** Highest number of items that were running at the same moment. */
  peakInFlight: number;
}

export async function runBatch<T, R>(
  items: readonly T[],
  work: (item: T, index: number) => Promise<R>,
  options: BatchOptions,
): Promise<BatchReport<R>> {
  const total = items.length;
  const chunkSize = Math.max(1, options.chunkSize ?? total);
  const retries = options.retries ?? 3;
  const baseDelay = options.retryDelayMs ?? 10;
  const retryable = options.isRetryable ?? isTransient;
  const limit = pLimit(Math.max(1, options.concurrency));
  const outcomes: Outcome<R>[] = new Array(total);
  let done = 0;
  let retried = 0;
  let inFlight = 0;
  let peakInFlight = 0;

  const attempt = async (item: T, index: number): Promise<Outcome<R>> => {
    for (let n = 1; ; n++) {
      if (options.signal?.aborted) {
        return { ok: false, error: cancelled(), message: "cancelled before it ran", attempts: n - 1 };
      }
      inFlight++;
      peakInFlight = Math.max(peakInFlight, inFlight);
      try {
        return { ok: true, value: await work(item, index), attempts: n };
      } catch (error) {
        if (n > retries || !retryable(error)) {
          const shown = withIoMessage(error);
          return { ok: false, error: shown, message: errorMessage(shown), attempts: n };
        }
        retried++;
        batchCounters.retries++;
      } finally {
        inFlight--;
      }
      const delay = baseDelay * 2 ** (n - 1);
      await sleep(delay / 2 + Math.random() * delay);
    }
  };

  for (let start = 0; start < total; start += chunkSize) {
    const end = Math.min(total, start + chunkSize);
    const running: Promise<void>[] = [];
    for (let i = start; i < end; i++) {
      running.push(
        limit(async () => {
          outcomes[i] = await attempt(items[i] as T, i);
          done++;
          options.onProgress?.(done, total);
        }),
      );
    }
    await Promise.all(running);
  }
  return { outcomes, retries: retried, peakInFlight };
}

function cancelled(): MemoryError {
  return new MemoryError("CANCELLED", "the request was cancelled");
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
