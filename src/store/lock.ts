/**
 * The cross-process writer lock (proper-lockfile: `<data>.lock` is a directory that exists while
 * someone writes, kept fresh by touching its mtime). A lock whose holder died is taken over once it
 * is `staleMs` old; when the holder was a process on this machine that no longer exists, it is taken
 * over at once, because the lock directory carries an owner record naming it.
 *
 * The record must never be missing from a live lock, so the directory is built complete under a
 * temporary name and renamed into place (atomic), and released by renaming it away first. Creating
 * files can stall for milliseconds behind another thread's fsync, so writing the record after the
 * mkdir would leave a real window in which a crash leaves an anonymous lock.
 */
import fs, { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import path from "node:path";
import lockfile from "proper-lockfile";
import { MemoryError } from "../errors.js";
import { DIR_MODE, FILE_MODE } from "./files.js";

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

const OWNER = "owner.json";
const lockDir = (file: string) => `${file}.lock`;
const scratch = (dir: string, what: string) =>
  `${dir}.${what}-${process.pid}-${Math.random().toString(36).slice(2, 10)}`;

type Callback = (err: NodeJS.ErrnoException | null) => void;

/** node:fs whose mkdir/rmdir create and remove a lock directory atomically with its owner record. */
const lockFs = {
  ...fs,
  mkdir(dir: string, cb: Callback) {
    const tmp = scratch(dir, "new");
    let error: NodeJS.ErrnoException | null = null;
    try {
      mkdirSync(tmp, { mode: DIR_MODE });
      const owner: Owner = { pid: process.pid, host: hostname() };
      writeFileSync(path.join(tmp, OWNER), JSON.stringify(owner), { mode: FILE_MODE });
      renameSync(tmp, dir);
    } catch (e) {
      rmSync(tmp, { recursive: true, force: true });
      const code = (e as NodeJS.ErrnoException).code;
      // rename onto a held lock (a non-empty directory) fails: that is "already locked".
      error =
        code === "ENOTEMPTY" || code === "EEXIST"
          ? Object.assign(new Error(`${dir} exists`), { code: "EEXIST" })
          : (e as NodeJS.ErrnoException);
    }
    process.nextTick(cb, error);
  },
  rmdir(dir: string, cb: Callback) {
    let error: NodeJS.ErrnoException | null = null;
    try {
      removeLockDir(dir);
    } catch (e) {
      error = e as NodeJS.ErrnoException;
    }
    process.nextTick(cb, error);
  },
  rmdirSync(dir: string) {
    removeLockDir(dir);
  },
};

function removeLockDir(dir: string): void {
  const aside = scratch(dir, "old");
  renameSync(dir, aside);
  rmSync(aside, { recursive: true, force: true });
}

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
          `the store is locked by another process (${lockDir(file)}) and stayed busy for ${waitMs} ms: retry`,
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
  const dir = lockDir(file);
  let owner: Owner;
  try {
    owner = JSON.parse(readFileSync(path.join(dir, OWNER), "utf8")) as Owner;
  } catch {
    return false;
  }
  if (owner.host !== hostname() || owner.pid === process.pid || isAlive(owner.pid)) return false;
  // Move the directory aside, then check it is still the dead holder's: a plain removal could
  // take away a lock that a live process got in the meantime.
  const aside = `${dir}.dead-${process.pid}-${Date.now()}`;
  try {
    renameSync(dir, aside);
  } catch {
    return false;
  }
  let moved: Owner | undefined;
  try {
    moved = JSON.parse(readFileSync(path.join(aside, OWNER), "utf8")) as Owner;
  } catch {
    moved = undefined;
  }
  if (moved?.pid !== owner.pid) {
    try {
      renameSync(aside, dir);
    } catch {
      rmSync(aside, { recursive: true, force: true });
    }
    return false;
  }
  rmSync(aside, { recursive: true, force: true });
  log?.(`took over the store lock left by process ${owner.pid}, which no longer runs`);
  return true;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
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
  const prefix = `${path.basename(lockDir(file))}.`;
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) {
    if (!name.startsWith(prefix)) continue;
    const m = /^(new|old|dead)-(\d+)-/.exec(name.slice(prefix.length));
    if (!m || isAlive(Number(m[2]))) continue;
    rmSync(path.join(dir, name), { recursive: true, force: true });
  }
}
