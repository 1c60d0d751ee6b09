/**
 * The cross-process writer lock, on proper-lockfile (staleness by a periodically touched mtime,
 * retries, compromise detection). A lock whose holder died is taken over once it is `staleMs` old;
 * when the holder was a process on this machine that no longer exists, it is taken over at once.
 *
 * For that the lock must name its holder from the instant it exists. proper-lockfile's lock is a
 * directory made by mkdir, and writing an owner file into it afterwards leaves a window (file
 * creation can stall for milliseconds behind another thread's fsync) in which a crash leaves an
 * anonymous lock. So the lock is a symlink instead, through proper-lockfile's `fs` option: one
 * symlink() call creates it atomically with its owner as the link text, one unlink() removes it.
 * That is also cheaper than mkdir/rmdir plus an owner file.
 */
import fs, { readlinkSync, renameSync, rmSync, unlinkSync } from "node:fs";
import { hostname } from "node:os";
import path from "node:path";
import lockfile from "proper-lockfile";
import { MemoryError } from "../errors.js";
import { isProcessAlive } from "../pid.js";

export interface LockOptions {
  staleMs: number;
  /** How long to keep trying before answering LOCK_BUSY. */
  waitMs?: number;
  onCompromised?: (error: Error) => void;
  log?: (message: string) => void;
}

export type Release = () => Promise<void>;

interface Owner {
  pid: number;
  host: string;
}

const TAG = "memory-bank-lock";
const lockPath = (file: string) => `${file}.lock`;

function ownerText(): string {
  // The nonce makes every acquisition's text unique, so a takeover can tell "still the dead
  // holder's lock" from "a new lock that someone took in the meantime".
  return `${TAG}:${process.pid}:${hostname()}:${Math.random().toString(36).slice(2, 10)}`;
}

function parseOwner(text: string): Owner | undefined {
  const m = /^memory-bank-lock:(\d+):(.*):[a-z0-9]*$/.exec(text);
  return m?.[1] && m[2] !== undefined ? { pid: Number(m[1]), host: m[2] } : undefined;
}

type Callback = (err: NodeJS.ErrnoException | null) => void;

/** Removes a lock: a symlink, or a directory left by an older layout. */
function removeLock(p: string): void {
  try {
    unlinkSync(p);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== "EISDIR" && code !== "EPERM") throw error;
    rmSync(p, { recursive: true, force: true });
  }
}

/** node:fs as proper-lockfile uses it, with the lock made a symlink that names its owner. */
const lockFs = {
  ...fs,
  mkdir(p: string, cb: Callback) {
    fs.symlink(ownerText(), p, cb);
  },
  rmdir(p: string, cb: Callback) {
    let error: NodeJS.ErrnoException | null = null;
    try {
      removeLock(p);
    } catch (e) {
      error = e as NodeJS.ErrnoException;
    }
    process.nextTick(cb, error);
  },
  rmdirSync(p: string) {
    removeLock(p);
  },
  // The link's target does not exist: look at the link itself.
  stat: fs.lstat,
  utimes: fs.lutimes,
};

export async function acquireLock(file: string, options: LockOptions): Promise<Release> {
  const waitMs = options.waitMs ?? Math.max(options.staleMs * 2, 15_000);
  const deadline = Date.now() + waitMs;
  for (let attempt = 0; ; attempt++) {
    try {
      return await lockfile.lock(file, {
        realpath: false,
        stale: options.staleMs,
        retries: 0,
        fs: lockFs,
        onCompromised:
          options.onCompromised ??
          ((error) => process.stderr.write(`memory-bank: store lock compromised: ${error.message}\n`)),
      });
    } catch (error) {
      if ((error as { code?: string }).code !== "ELOCKED") throw error;
      if (breakIfOwnerDead(file, options.log)) continue;
      if (Date.now() >= deadline) {
        throw new MemoryError(
          "LOCK_BUSY",
          `the store is locked by another process (${lockPath(file)}) and stayed busy for ${waitMs} ms: retry`,
        );
      }
      // Writers hold the lock for one append + fsync (a few ms): short, jittered waits.
      const wait = Math.min(25, 1 + attempt) * (0.5 + Math.random());
      await new Promise((r) => setTimeout(r, wait));
    }
  }
}

/** Removes the lock when its recorded holder is a dead process on this host. True if removed. */
function breakIfOwnerDead(file: string, log?: (m: string) => void): boolean {
  const p = lockPath(file);
  let text: string;
  try {
    text = readlinkSync(p);
  } catch {
    return false;
  }
  const owner = parseOwner(text);
  // isProcessAlive counts this process as alive: we never break our own lock.
  if (!owner || owner.host !== hostname() || isProcessAlive(owner.pid)) return false;
  // Move the lock aside, then check it is still the dead holder's: a plain unlink could take away
  // a lock that a live process got in the meantime.
  const aside = `${p}.dead-${process.pid}-${Date.now()}`;
  try {
    renameSync(p, aside);
  } catch {
    return false;
  }
  let moved = "";
  try {
    moved = readlinkSync(aside);
  } catch {
    // not a link: an older layout's directory; fall through to the comparison
  }
  if (moved !== text) {
    try {
      renameSync(aside, p);
    } catch {
      removeLock(aside);
    }
    return false;
  }
  removeLock(aside);
  log?.(`took over the store lock left by process ${owner.pid}, which no longer runs`);
  return true;
}

export async function isLocked(file: string, staleMs: number): Promise<boolean> {
  return lockfile.check(file, { realpath: false, stale: staleMs });
}

/**
 * Removes half-built or half-removed lock directories (`.lock.new-<pid>-*`, `.lock.old-<pid>-*`,
 * `.lock.dead-<pid>-*`) left by processes that died between two renames. Never touches the lock.
 */
export function sweepLockLeftovers(file: string): void {
  const dir = path.dirname(file);
  const prefix = `${path.basename(lockPath(file))}.`;
  let names: string[];
  try {
    names = fs.readdirSync(dir);
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
