/**
 * The cross-process writer lock (proper-lockfile: an atomic mkdir of `<data>.lock`, kept fresh by
 * touching its mtime). A lock whose holder died is taken over once it is `staleMs` old.
 */
import lockfile from "proper-lockfile";
import { MemoryError } from "../errors.js";

export interface LockOptions {
  staleMs: number;
  /** How long to keep trying before answering LOCK_BUSY. */
  waitMs?: number;
  onCompromised?: (error: Error) => void;
}

export type Release = () => Promise<void>;

export async function acquireLock(file: string, options: LockOptions): Promise<Release> {
  const waitMs = options.waitMs ?? Math.max(options.staleMs * 2, 15_000);
  // Short, randomized waits: writers hold the lock for one append + fsync (a few ms), so long
  // backoffs would only add latency; the count is sized so the total wait covers a stale takeover.
  const minTimeout = 1;
  const maxTimeout = 25;
  const retries = Math.ceil(waitMs / ((minTimeout + maxTimeout) / 2));
  try {
    const release = await lockfile.lock(file, {
      realpath: false,
      stale: options.staleMs,
      retries: { retries, factor: 1.3, minTimeout, maxTimeout, randomize: true },
      onCompromised:
        options.onCompromised ??
        ((error) => {
          process.stderr.write(`memory-bank: store lock compromised: ${error.message}\n`);
        }),
    });
    return release;
  } catch (error) {
    if ((error as { code?: string }).code === "ELOCKED") {
      throw new MemoryError(
        "LOCK_BUSY",
        `the store is locked by another process (${file}.lock) and stayed busy for ${waitMs} ms: retry`,
      );
    }
    throw error;
  }
}

export async function isLocked(file: string, staleMs: number): Promise<boolean> {
  return lockfile.check(file, { realpath: false, stale: staleMs });
}
