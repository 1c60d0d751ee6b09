/**
 * Durable file primitives. Everything the store writes is private (0600 files, 0700 directories)
 * and reaches disk through write-temp + fsync + rename, so a reader or a crash only ever sees the
 * old file or the new one, never a mix.
 */
import { randomBytes } from "node:crypto";
import { constants, existsSync, mkdirSync, readdirSync, rmdirSync, rmSync } from "node:fs";
import { chmod, type FileHandle, lstat, mkdir, open, readdir, rename, rm } from "node:fs/promises";
import path from "node:path";
import { crc32 } from "node:zlib";
import { storeLayout } from "./layout.js";
import { isProcessAlive } from "./process-alive.js";

export const FILE_MODE = 0o600;
export const DIR_MODE = 0o700;

/**
 * mkdir -p: the directories it creates are 0700; one that already exists is left exactly as it
 * is, whoever made it (its mode is never changed here). Making an existing directory private is
 * ensurePrivateDir's job, and only for the store's own directory. Returns the first directory it
 * created, if any.
 */
export async function ensureDir(dir: string): Promise<string | undefined> {
  try {
    return await mkdir(dir, { recursive: true, mode: DIR_MODE });
  } catch (error) {
    throw (error as NodeJS.ErrnoException).code === "ENOENT" ? mkdirCause(dir, error) : error;
  }
}

/**
 * Node's recursive mkdir reports ENOENT when it cannot create a folder for another reason (a
 * read-only file system, no permission). Creating the first missing folder on its own gets the
 * real reason, which is what the person has to fix.
 */
function mkdirCause(dir: string, reported: unknown): unknown {
  let missing = path.resolve(dir);
  while (path.dirname(missing) !== missing && !existsSync(path.dirname(missing)))
    missing = path.dirname(missing);
  try {
    mkdirSync(missing, { mode: DIR_MODE });
    rmdirSync(missing);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") return error;
  }
  return reported;
}

/**
 * The store's directory holds private data, so it should be 0700. It is made so when the store
 * creates it, and when it already exists but is plainly the store's own: nothing in it but the
 * files of the store at `dataPath` (a git checkout makes `memory/` 0755 with a .gitignore in
 * it). Any other directory (the project root with `"path": "./data.json"`, a shared system
 * directory) keeps its mode and gets a warning if others can read it: the store's files inside
 * are 0600 either way.
 */
export async function ensurePrivateDir(dataPath: string, log?: (message: string) => void): Promise<void> {
  const dir = path.dirname(dataPath);
  const created = await ensureDir(dir);
  if (created !== undefined) return; // made by us, with DIR_MODE
  const st = await lstat(dir);
  if ((st.mode & 0o077) === 0) return;
  const layout = storeLayout(dataPath);
  const mine = typeof process.getuid !== "function" || st.uid === process.getuid();
  const names = await readdir(dir).catch(() => [] as string[]);
  if (mine && names.every((n) => layout.dedicated(n))) {
    await chmod(dir, DIR_MODE).catch(() => {});
    return;
  }
  log?.(
    `warning: the store's directory ${dir} is mode 0${(st.mode & 0o777).toString(8)}, readable by other users; it holds other files too, so the store leaves its mode alone (its own files are 0600). To keep the directory private: chmod 700 ${dir}`,
  );
}

export function ensureDirSync(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true, mode: DIR_MODE });
  } catch (error) {
    throw (error as NodeJS.ErrnoException).code === "ENOENT" ? mkdirCause(dir, error) : error;
  }
}

/**
 * fsync a directory so a rename or create inside it survives power loss: the rename itself lives in
 * the directory's data, not in the file's. Some platforms refuse to open directories; that only
 * loses this extra guarantee, never data that is already written.
 */
export async function fsyncDir(dir: string): Promise<void> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(dir, constants.O_RDONLY);
    await handle.sync();
  } catch {
    // best effort: see above
  } finally {
    await handle?.close();
  }
}

export function tempPathFor(file: string): string {
  return path.join(
    path.dirname(file),
    `.${path.basename(file)}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`,
  );
}

export interface AtomicWriteOptions {
  fsync?: boolean;
  /**
   * Called after the temp file is complete and checked, right before it gets the real name; may
   * throw to abandon the write (the store checks that it still holds its lock there).
   */
  beforeInstall?: () => void | Promise<void>;
}

/**
 * Writes `file` atomically: chunks go to a temp file in the same directory (same filesystem, so
 * rename is atomic), the temp file is fsynced so its contents are on disk before it gets the real
 * name, read back and compared with what was meant to be written, then renamed, then the
 * directory is fsynced so the new name is durable too. Returns the number of bytes written.
 *
 * Every byte count is checked: on a full disk write(2) first returns short counts (page
 * aligned), not an error, and a writer that ignores them installs a truncated file.
 */
export async function writeFileAtomic(
  file: string,
  chunks: Iterable<string | Uint8Array> | AsyncIterable<string | Uint8Array>,
  options: AtomicWriteOptions = {},
): Promise<number> {
  const fsync = options.fsync ?? true;
  const tmp = tempPathFor(file);
  let bytes = 0;
  let crc = 0;
  // O_EXCL: a temp name that already exists (even as a symlink) is never written through.
  const handle = await open(tmp, constants.O_RDWR | constants.O_CREAT | constants.O_EXCL, FILE_MODE);
  try {
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    const flush = async () => {
      const buf = pending.length === 1 ? (pending[0] as Buffer) : Buffer.concat(pending, pendingBytes);
      await writeAll(handle, buf, bytes);
      crc = crc32(buf, crc);
      bytes += buf.length;
      pending = [];
      pendingBytes = 0;
    };
    for await (const chunk of chunks) {
      const buf =
        typeof chunk === "string"
          ? Buffer.from(chunk, "utf8")
          : Buffer.isBuffer(chunk)
            ? chunk
            : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
      pending.push(buf);
      pendingBytes += buf.length;
      // Batch small chunks into ~1 MiB writes: one syscall per entry would dominate large snapshots.
      if (pendingBytes >= 1 << 20) await flush();
    }
    if (pendingBytes > 0) await flush();
    // The contents must be on disk before the name points at them, or a crash could leave the
    // new name on an empty or partial file.
    if (fsync) await handle.sync();
    await verifyContents(handle, bytes, crc, tmp);
    await handle.close();
    // umask cannot widen 0600, but chmod makes the mode explicit whatever the process umask is.
    await chmod(tmp, FILE_MODE);
    await options.beforeInstall?.();
    await rename(tmp, file);
  } catch (error) {
    await handle.close().catch(() => {});
    await rm(tmp, { force: true });
    throw error;
  }
  // The rename lives in the directory's data: without this a crash could bring back the old file.
  if (fsync) await fsyncDir(path.dirname(file));
  return bytes;
}

/** write(2) until every byte is written: a short count is not an error, so loop until done. */
async function writeAll(handle: FileHandle, buf: Buffer, position: number): Promise<void> {
  let off = 0;
  while (off < buf.length) {
    const { bytesWritten } = await handle.write(buf, off, buf.length - off, position + off);
    if (bytesWritten <= 0) {
      throw Object.assign(
        new Error(`no space left on device while writing (wrote ${position + off} bytes)`),
        {
          code: "ENOSPC",
        },
      );
    }
    off += bytesWritten;
  }
}

/**
 * Reads the written file back and compares its length and CRC-32 with what was meant to be
 * written: the last line of defence against a short write that went unnoticed, or a filesystem
 * that lost part of it.
 */
async function verifyContents(handle: FileHandle, bytes: number, crc: number, name: string): Promise<void> {
  const st = await handle.stat();
  if (st.size !== bytes) {
    throw Object.assign(new Error(`${name} holds ${st.size} bytes after writing ${bytes}: not installed`), {
      code: st.size < bytes ? "ENOSPC" : "EIO",
    });
  }
  const buf = Buffer.allocUnsafe(Math.min(bytes, 1 << 20) || 1);
  let read = 0;
  let check = 0;
  while (read < bytes) {
    const { bytesRead } = await handle.read(buf, 0, Math.min(buf.length, bytes - read), read);
    if (bytesRead <= 0) break;
    check = crc32(buf.subarray(0, bytesRead), check);
    read += bytesRead;
  }
  if (read !== bytes || check !== crc) {
    throw Object.assign(new Error(`${name} does not read back as written: not installed`), { code: "EIO" });
  }
}

/**
 * Removes temp files of atomic writes whose writer died before its rename (a compaction cut off
 * by SIGKILL, say). They were never part of the store; a live writer's temp file is left alone.
 */
export function sweepDeadTempFiles(dir: string): number {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return 0;
  }
  let removed = 0;
  for (const name of names) {
    const m = /^\..+\.(\d+)\.[0-9a-f]{8}\.tmp$/.exec(name);
    if (!m || isProcessAlive(Number(m[1]))) continue;
    rmSync(path.join(dir, name), { force: true });
    removed++;
  }
  return removed;
}
