/**
 * The cross-process writer lock: a symlink next to the snapshot whose link text names its holder
 * (pid, process start time, boot id, host and a nonce). symlink() creates it atomically with its
 * owner record, so a lock can never exist without saying whose it is.
 *
 * A lock is taken over only when its holder is provably gone, never because it looks old:
 *
 * - Holder on this machine (same host name and boot id): taken over as soon as that process no
 *   longer exists (or its pid now belongs to a process that started later). A holder that is
 *   alive keeps its lock however long it does not run: stopped by SIGSTOP or a debugger, a
 *   paused VM, a clock that jumped. Waiting writers answer LOCK_BUSY (safe to retry) rather
 *   than take a lock from a process that may continue at any moment. Time plays no part, so a
 *   process whose clock is wrong cannot see a live lock as stale.
 * - Holder elsewhere (a store on a disk shared by several machines, which the JSON store does not
 *   support, or a lock of an older layout): its liveness cannot be checked, so only its age can
 *   free it: the holder refreshes the link's mtime while it holds it, and the lock is taken over
 *   once that is older than `staleMs`. Because this case can hand the lock to a second writer
 *   while the first one is paused, every writer also *fences* its changes: `stillHeld()` is
 *   checked right before each append and each file install (see JsonStore), and a release
 *   removes the lock only if it is still its own.
 *
 * This is why the lock is not proper-lockfile's: its model (a lock is stale when its mtime is
 * older than `stale`, judged by the waiter's clock) is exactly what let a paused holder or a
 * clock running ahead hand out a second lock.
 */
import { randomBytes } from "node:crypto";
import {
  linkSync,
  lstatSync,
  lutimesSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  renameSync,
  rmSync,
  symlinkSync,
  unlinkSync,
} from "node:fs";
import { hostname } from "node:os";
import path from "node:path";
import { MemoryError } from "../../domain/errors.js";
import { storeLayout } from "../layout.js";
import { isProcessAlive } from "../process-alive.js";

export interface LockOptions {
  /** Age after which a lock whose holder cannot be checked (another host) is taken over. */
  staleMs: number;
  /** How long to keep trying before answering LOCK_BUSY. */
  waitMs?: number;
  log?: (message: string) => void;
}

/** A held lock. */
export interface HeldLock {
  /** True while the lock file still names this holder: checked before every change to the store. */
  stillHeld(): boolean;
  /** Removes the lock if, and only if, it is still this holder's. */
  release(): Promise<void>;
}

/** What a lock's link text says about its holder. */
export interface LockOwner {
  pid: number;
  host: string;
  /** Kernel boot id (Linux): tells a reboot, and another machine with the same host name. */
  boot?: string;
  /** The holder's start time in clock ticks since boot (Linux): tells a reused pid. */
  start?: string;
}

const TAG = "memory-bank-lock";
export const lockPath = (file: string) => storeLayout(file).lock;

/** This machine's boot id and this process's start time, read once (Linux; absent elsewhere). */
const BOOT_ID = readOrUndefined("/proc/sys/kernel/random/boot_id")?.trim().slice(0, 8);
const SELF_START = startTimeOf(process.pid);
const HOST = hostname();
/** Link texts of the locks this process holds right now: any other lock naming our pid is a leftover. */
const HELD_HERE = new Set<string>();

function readOrUndefined(file: string): string | undefined {
  try {
    return readFileSync(file, "utf8");
  } catch {
    return undefined;
  }
}

/** Field 22 of /proc/<pid>/stat: when the process started, in clock ticks since boot. */
function startTimeOf(pid: number): string | undefined {
  const stat = readOrUndefined(`/proc/${pid}/stat`);
  if (!stat) return undefined;
  // The command name (field 2) is in parentheses and may contain spaces: count after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return fields[19];
}

/** The state letter of /proc/<pid>/stat ("T" stopped, "t" traced), for messages. */
function stateOf(pid: number): string | undefined {
  const stat = readOrUndefined(`/proc/${pid}/stat`);
  return stat ? stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) : undefined;
}

function ownerText(): string {
  // The nonce makes every acquisition's text unique, so "still the lock I judged dead" and "still
  // my lock" are exact comparisons of the link text.
  return `${TAG}:2:${process.pid}:${SELF_START ?? "-"}:${BOOT_ID ?? "-"}:${randomBytes(5).toString("hex")}:${HOST}`;
}

export function parseOwner(text: string): LockOwner | undefined {
  const v2 = /^memory-bank-lock:2:(\d+):([^:]+):([^:]+):[0-9a-f]+:(.*)$/.exec(text);
  if (v2?.[1] && v2[2] && v2[3] && v2[4] !== undefined) {
    return {
      pid: Number(v2[1]),
      host: v2[4],
      ...(v2[3] !== "-" ? { boot: v2[3] } : {}),
      ...(v2[2] !== "-" ? { start: v2[2] } : {}),
    };
  }
  // The previous layout: memory-bank-lock:<pid>:<host>:<nonce>
  const v1 = /^memory-bank-lock:(\d+):(.*):[a-z0-9]*$/.exec(text);
  return v1?.[1] && v1[2] !== undefined ? { pid: Number(v1[1]), host: v1[2] } : undefined;
}

/**
 * Whether the owner is a process on this machine that is gone ("dead"), one that runs ("alive"),
 * or one whose liveness cannot be told from here ("unknown": another machine).
 */
export function ownerLiveness(owner: LockOwner): "alive" | "dead" | "unknown" {
  if (owner.host !== HOST) return "unknown";
  if (owner.boot && BOOT_ID && owner.boot !== BOOT_ID) {
    // Same host name, other boot: this machine rebooted since (every old process is gone), or it
    // is another machine of the same name sharing the disk, which cannot be told apart here.
    return "unknown";
  }
  if (!isProcessAlive(owner.pid)) return "dead";
  if (owner.start && owner.pid !== process.pid) {
    const now = startTimeOf(owner.pid);
    if (now !== undefined && now !== owner.start) return "dead"; // the pid was reused
  }
  return "alive";
}

/** Lock link text, or undefined when there is no lock. */
function readLock(p: string): string | undefined {
  try {
    return readlinkSync(p);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return undefined;
    if (code === "EINVAL") return ""; // not a symlink: a directory lock of an older layout
    throw error;
  }
}

/** Removes a lock entry: a symlink, or a directory left by an older layout. */
function removeEntry(p: string): void {
  try {
    unlinkSync(p);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return;
    if (code !== "EISDIR" && code !== "EPERM") throw error;
    rmSync(p, { recursive: true, force: true });
  }
}

export async function acquireLock(file: string, options: LockOptions): Promise<HeldLock> {
  const p = lockPath(file);
  const waitMs = options.waitMs ?? Math.max(options.staleMs * 2, 15_000);
  const deadline = Date.now() + waitMs;
  for (let attempt = 0; ; attempt++) {
    const text = ownerText();
    try {
      symlinkSync(text, p);
      return held(p, text, options.staleMs, options.log);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    if (tryTakeOver(p, options)) continue;
    if (Date.now() >= deadline) throw busy(p, waitMs);
    // Writers hold the lock for one append + fsync (a fraction of a millisecond) or one
    // compaction: short, jittered waits that grow a little.
    const wait = Math.min(25, 1 + attempt) * (0.5 + Math.random());
    await new Promise((r) => setTimeout(r, wait));
  }
}

function busy(p: string, waitMs: number): MemoryError {
  const text = readLock(p);
  const owner = text ? parseOwner(text) : undefined;
  let who = "";
  if (owner && ownerLiveness(owner) === "alive") {
    const state = stateOf(owner.pid);
    who =
      state === "T" || state === "t"
        ? ` by process ${owner.pid}, which is stopped (resume it with 'kill -CONT ${owner.pid}', or end it)`
        : ` by process ${owner.pid}`;
  } else if (owner) {
    who = ` by process ${owner.pid} on ${owner.host}`;
  }
  return new MemoryError(
    "LOCK_BUSY",
    `the store is locked${who} (${p}) and stayed busy for ${waitMs} ms: retry`,
  );
}

/**
 * Removes the lock when its holder is gone (see the module comment). The lock is first renamed
 * aside and its text compared with the one judged dead, so a lock that a live process took in
 * the meantime is put back rather than removed. True when the lock was removed.
 */
function tryTakeOver(p: string, options: LockOptions): boolean {
  const text = readLock(p);
  if (text === undefined) return true; // released meanwhile: try again at once
  const owner = parseOwner(text);
  let liveness = owner ? ownerLiveness(owner) : "unknown";
  // Our own pid on a lock we do not hold: left by an earlier hold of this process whose release failed.
  if (owner?.pid === process.pid && owner.host === HOST && !HELD_HERE.has(text)) liveness = "dead";
  if (liveness === "alive") return false;
  if (liveness === "unknown") {
    let age: number;
    try {
      age = Date.now() - lstatSync(p).mtimeMs;
    } catch {
      return true;
    }
    if (age < options.staleMs) return false;
  }
  const aside = `${p}.dead-${process.pid}-${randomBytes(4).toString("hex")}`;
  try {
    renameSync(p, aside);
  } catch {
    return false;
  }
  if (readLock(aside) !== text) {
    // Not the lock we judged: somebody took it between our read and our rename. Put it back
    // without replacing a lock made since (link fails when the name exists).
    try {
      linkSync(aside, p);
    } catch {
      // a newer lock exists: the one we moved was already superseded
    }
    removeEntry(aside);
    return false;
  }
  removeEntry(aside);
  options.log?.(
    liveness === "dead"
      ? `took over the store lock left by process ${owner?.pid}, which no longer runs`
      : `took over a store lock from ${owner ? `process ${owner.pid} on ${owner.host}` : "an unknown holder"}, not refreshed for ${options.staleMs} ms`,
  );
  return true;
}

function held(p: string, text: string, staleMs: number, log?: (m: string) => void): HeldLock {
  // The refresh only matters to processes that cannot check our pid (another host): they judge
  // the lock by its mtime. It never runs in the common case of a hold shorter than its period.
  const timer = setInterval(
    () => {
      try {
        if (readlinkSync(p) === text) lutimesSync(p, new Date(), new Date());
      } catch {
        // gone: release or takeover; stillHeld() reports it where it matters
      }
    },
    Math.max(1000, Math.floor(staleMs / 3)),
  );
  timer.unref();
  HELD_HERE.add(text);
  let released = false;
  return {
    stillHeld: () => !released && readLock(p) === text,
    release: async () => {
      if (released) return;
      released = true;
      clearInterval(timer);
      HELD_HERE.delete(text);
      const now = readLock(p);
      if (now !== text) {
        log?.(
          `the store lock ${p} was no longer this process's when it released it (${now === undefined ? "it was removed" : "another process holds it now"}); it was left alone`,
        );
        return;
      }
      // Between this read and the unlink only a takeover of a lock we hold right now could
      // happen, which needs us to be unknown-liveness and silent for staleMs: not while running.
      removeEntry(p);
    },
  };
}

/** Whether a writer holds the lock right now (debug). */
export function isLocked(file: string): boolean {
  return readLock(lockPath(file)) !== undefined;
}

/** The current holder, for messages and status. */
export function lockHolder(file: string): LockOwner | undefined {
  const text = readLock(lockPath(file));
  return text ? parseOwner(text) : undefined;
}

/**
 * Removes entries left by processes that died between two steps of a takeover
 * (`.lock.dead-<pid>-*`, and `.lock.new-/old-` of an older layout). Never touches the lock.
 */
export function sweepLockLeftovers(file: string): void {
  const dir = path.dirname(file);
  const prefix = `${path.basename(lockPath(file))}.`;
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) {
    if (!name.startsWith(prefix)) continue;
    const m = /^(new|old|dead)-(\d+)-/.exec(name.slice(prefix.length));
    if (!m || isProcessAlive(Number(m[2]))) continue;
    rmSync(path.join(dir, name), { recursive: true, force: true });
  }
}
