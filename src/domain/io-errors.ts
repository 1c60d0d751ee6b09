/**
 * File-system failures in words that say what to fix. Node reports them as "EROFS: read-only file
 * system, symlink 'memory-bank-lock:…' -> '/p/memory/claude-flow-data.json.lock'", which names a
 * lock's owner text and a syscall but not the remedy. Every such error that reaches an agent or a
 * person goes through `ioError` here, at the few places where errors become messages (the tool
 * edge, the CLI edge, the batch executor's outcomes, the journal append), so a read-only disk, a
 * missing permission or a full disk reads the same from a write, an export, an import, a cleanup
 * or a compaction.
 */
import path from "node:path";
import { MemoryError } from "./errors.js";

type Errno = NodeJS.ErrnoException & { dest?: string };

/** Temp files of atomic writes (`.name.<pid>.<hex>.tmp`): naming their folder says more. */
const TEMP_FILE = /^\..+\.\d+\.[0-9a-f]{8}\.tmp$/;

const VERBS: Record<string, string> = {
  open: "open",
  read: "read",
  write: "write to",
  symlink: "create",
  link: "create",
  mkdir: "create",
  rename: "replace",
  unlink: "remove",
  rmdir: "remove",
  rm: "remove",
  scandir: "list",
  chmod: "change the mode of",
  fchmod: "change the mode of",
  utime: "touch",
  lutime: "touch",
  fsync: "flush",
  fdatasync: "flush",
  ftruncate: "truncate",
};

/** The file the failed call was about, and how to name it. */
function subject(e: Errno): string {
  // symlink/link/rename: `path` is the link text or the source, `dest` is the name being made.
  const p = e.dest ?? e.path;
  if (!p) return "a file";
  return TEMP_FILE.test(path.basename(p)) ? `files in ${path.dirname(p)}` : p;
}

function folderOf(e: Errno): string {
  const p = e.dest ?? e.path;
  return p ? path.dirname(p) : "the folder";
}

function describe(e: Errno): string | undefined {
  const what = subject(e);
  const verb = (e.syscall && VERBS[e.syscall]) ?? "use";
  const user = typeof process.getuid === "function" ? ` (uid ${process.getuid()})` : "";
  switch (e.code) {
    case "EROFS":
      return `${folderOf(e)} is on a read-only file system, so nothing could be written there: remount it read-write, or use a writable directory (memory.path for the store, another path for an export)`;
    case "EACCES":
      return `this process${user} may not ${verb} ${what} (permission denied): give it access (chown or chmod the folder), run it as the user who owns the files, or use a directory it may write`;
    case "EPERM":
      return `the system refused to let this process${user} ${verb} ${what} (operation not permitted: an immutable or append-only file, or one owned by someone else): lift that (chattr -i, chown), or use another directory`;
    case "ENOSPC":
      return `the disk is full: nothing could be written to ${what}; free space and retry`;
    case "EDQUOT":
      return `the disk quota of this user is used up: nothing could be written to ${what}; free space or raise the quota, then retry`;
    case "EIO":
      return `the disk reported an input/output error on ${what}: check the disk and its file system (dmesg), then retry`;
    case "EMFILE":
    case "ENFILE":
      return `too many files are open (${e.code}) to ${verb} ${what}: retry; if it persists, raise the limit (ulimit -n)`;
    case "ENAMETOOLONG":
      return `the path ${what} is too long for the file system: use a shorter path`;
    case "ENOTDIR":
      return `a part of the path ${what} is a file, not a folder: use another path`;
    case "EISDIR":
      return `${what} is a folder: give a file name`;
    case "ELOOP":
      return `the path ${what} goes through too many symlinks (a loop?): use a plain path`;
    case "EFBIG":
      return `${what} would grow past the largest file the file system allows: split the data`;
    default:
      return undefined;
  }
}

/**
 * The IO_ERROR a file-system error should be shown as, or undefined when `error` is not one we
 * can word (MemoryErrors pass through callers unchanged). `outcome` says what became of the
 * operation, e.g. "nothing was stored".
 */
export function ioError(error: unknown, outcome?: string): MemoryError | undefined {
  if (error instanceof MemoryError || !(error instanceof Error)) return undefined;
  const e = error as Errno;
  if (typeof e.code !== "string") return undefined;
  const text = describe(e);
  if (!text) return undefined;
  return new MemoryError("IO_ERROR", outcome ? `${text} (${outcome})` : text, {
    code: e.code,
    ...(e.syscall ? { syscall: e.syscall } : {}),
  });
}

/** `error` as the MemoryError to show when it is a file-system error we can word, else unchanged. */
export function withIoMessage(error: unknown): unknown {
  return ioError(error) ?? error;
}
