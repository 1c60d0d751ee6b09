/**
 * The store's clock. One process's clock can be wrong by any amount, and can jump: a faked or
 * shifted clock (libfaketime, a container with its own time namespace), a VM resumed from a
 * snapshot, a laptop that slept, a person setting the date. Retention and TTLs must not depend on
 * it: a process 40 days ahead would delete every entry younger than 40 days for everyone, one 40
 * days behind would write entries that are born expired for everyone else.
 *
 * The time every process sharing a store agrees on is the file system's: the kernel stamps each
 * change of a file with its own time as the file's ctime, which no process can set (utimes sets
 * mtime, never ctime) and which libfaketime does not fake. So a process reads the store's time
 * from a file it has just created or changed, and keeps the difference to its own clock:
 *
 * - writers, on every lock acquisition, from the lock they have just created (its ctime is the
 *   moment it was made): one lstat confirms the last reading, and when it disagrees (the local
 *   clock jumped, or the lock is older than it seemed) a probe settles it, so every write is
 *   stamped in store time;
 * - everyone else from a temp file created and removed in the store's directory, at open and
 *   again when the last reading is older than REMEASURE_MS, so a jump is noticed within that.
 *
 * When no file can be changed (a read-only store), the local clock is all there is.
 */
import { closeSync, fstatSync, openSync, unlinkSync } from "node:fs";
import { FILE_MODE, tempPathFor } from "../files.js";
import { storeLayout } from "../layout.js";

/** Differences below this are the time between the change and its reading, not a wrong clock. */
const TOLERANCE_MS = 1000;
/** How old a reading may be before `now()` takes a new one. */
const REMEASURE_MS = 10_000;

export class StoreClock {
  /** Store time minus local time, in ms. */
  private offset = 0;
  /** performance.now() of the last reading (a monotonic clock: jumps of the wall clock do not move it). */
  private readAt = Number.NEGATIVE_INFINITY;

  /** Probes are temp files named after this one (`.<name>.<pid>.<hex>.tmp`), beside the store. */
  private readonly near: string;

  /** @param dataPath the store's snapshot: probes go beside it as `.<base>.clock.<pid>.<hex>.tmp`. */
  constructor(dataPath: string) {
    // Its own name, so a probe is never taken for a snapshot being written.
    this.near = storeLayout(dataPath).clockProbe;
  }

  /** The store's time now: the local clock corrected by the last reading, taken again when stale. */
  now(): number {
    if (performance.now() - this.readAt > REMEASURE_MS) this.probe();
    return Date.now() + this.offset;
  }

  /** How far the local clock is behind the store's (negative when ahead), as last read. */
  get skewMs(): number {
    return this.offset;
  }

  /** Records the kernel's time `changedMs` of a file this process changed just now. */
  observe(changedMs: number): void {
    const offset = changedMs - Date.now();
    // A right clock is never nudged by the milliseconds between a change and its reading.
    this.offset = Math.abs(offset) < TOLERANCE_MS ? 0 : offset;
    this.readAt = performance.now();
  }

  /**
   * Confirms the last reading with the change time of a file changed a moment ago (the lock
   * just acquired), at the cost of the stat already done. When they disagree, a probe decides:
   * either the local clock jumped, or the file was changed earlier than it seemed.
   */
  confirm(changedMs: number): void {
    const offset = changedMs - Date.now();
    const seen = Math.abs(offset) < TOLERANCE_MS ? 0 : offset;
    if (this.readAt > Number.NEGATIVE_INFINITY && Math.abs(seen - this.offset) < TOLERANCE_MS) {
      this.readAt = performance.now();
      return;
    }
    if (!this.probe()) this.observe(changedMs);
  }

  /**
   * Reads the kernel's time from a temp file created (and removed again) beside the store.
   * False when the directory cannot be written; the last reading (or the local clock) stays.
   */
  probe(): boolean {
    this.readAt = performance.now();
    const file = tempPathFor(this.near);
    let fd: number | undefined;
    try {
      fd = openSync(file, "wx", FILE_MODE);
      this.observe(fstatSync(fd).ctimeMs);
      return true;
    } catch {
      return false;
    } finally {
      if (fd !== undefined) {
        closeSync(fd);
        try {
          unlinkSync(file);
        } catch {
          // swept at the next open by sweepDeadTempFiles once this process is gone
        }
      }
    }
  }
}
