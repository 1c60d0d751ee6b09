/**
 * Parallel analysis for bulk builds: worker threads tokenize chunks of documents while the
 * main thread inserts the chunks already analyzed, strictly in input order. Because
 * insertion order is the input order and analysis is a pure function, the index is
 * identical to a sequential build.
 */
import { existsSync } from "node:fs";
import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { type AnalyzedDoc, decodeChunk, type EncodedChunk } from "./analyze.js";

export type FieldTexts = readonly [key: string, tags: string, value: string];

export interface WorkerJob {
  id: number;
  texts: FieldTexts[];
  stopWords: readonly string[];
}

export interface WorkerReply {
  id: number;
  chunk?: EncodedChunk;
  error?: string;
}

/**
 * The compiled worker script beside this module (dist/src/search/build-worker.js), or
 * undefined when running from TypeScript sources, where no such file exists.
 */
export function workerScript(): URL | undefined {
  const url = new URL("./build-worker.js", import.meta.url);
  try {
    return url.protocol === "file:" && existsSync(fileURLToPath(url)) ? url : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Cores left after the main thread (which inserts), at most 4. Measured on 2 cores, a
 * single worker does not pay for moving its results across threads, so below 2 the
 * default is 0: a sequential build.
 */
export function defaultWorkerCount(): number {
  const spare = Math.min(4, availableParallelism() - 1);
  return spare >= 2 ? spare : 0;
}

/**
 * Analyzes `chunks` on `workerCount` threads and calls `apply` with each chunk's analyzed
 * documents, in chunk order. Rejects (after stopping the workers) if a worker fails.
 */
export async function analyzeInParallel(
  script: URL,
  chunks: readonly FieldTexts[][],
  stopWords: readonly string[],
  workerCount: number,
  apply: (docs: AnalyzedDoc[], chunkIndex: number) => void,
): Promise<void> {
  if (chunks.length === 0) return;
  const workers = Array.from({ length: Math.min(workerCount, chunks.length) }, () => new Worker(script));
  const ready = new Map<number, EncodedChunk>();
  let nextToSend = 0;
  let nextToApply = 0;
  try {
    await new Promise<void>((resolve, reject) => {
      const send = (worker: Worker) => {
        if (nextToSend >= chunks.length) return;
        const id = nextToSend++;
        const job: WorkerJob = { id, texts: chunks[id] as FieldTexts[], stopWords };
        worker.postMessage(job);
      };
      for (const worker of workers) {
        worker.on("message", (reply: WorkerReply) => {
          if (reply.error !== undefined || reply.chunk === undefined) {
            reject(new Error(`index build worker failed: ${reply.error ?? "no result"}`));
            return;
          }
          ready.set(reply.id, reply.chunk);
          send(worker);
          try {
            // Apply every chunk that is now next in order; later ones wait in `ready`.
            for (let c = ready.get(nextToApply); c !== undefined; c = ready.get(nextToApply)) {
              ready.delete(nextToApply);
              apply(decodeChunk(c), nextToApply);
              nextToApply++;
            }
          } catch (err) {
            reject(err);
            return;
          }
          if (nextToApply === chunks.length) resolve();
        });
        worker.on("error", reject);
        worker.on("exit", (code) => {
          if (nextToApply < chunks.length)
            reject(new Error(`index build worker exited early (code ${code})`));
        });
        // Two jobs in flight per worker keeps it busy while its last result crosses over.
        send(worker);
        send(worker);
      }
    });
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}
