/**
 * Durable file primitives. Everything the store writes is private (0600 files, 0700 directories)
 * and reaches disk through write-temp + fsync + rename, so a reader or a crash only ever sees the
 * old file or the new one, never a mix.
 */
import { randomBytes } from "node:crypto";
import { constants, mkdirSync, readdirSync, rmSync } from "node:fs";
import { chmod, type FileHandle, mkdir, open, rename, rm } from "node:fs/promises";
import path from "node:path";
import { isProcessAlive } from "../pid.js";

export const FILE_MODE = 0o600;
export const DIR_MODE = 0o700;

/** mkdir -p with 0700; also tightens an existing directory we own, since it will hold private data. */
export async function ensureDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: DIR_MODE });
}

/**
 * The store's own directory holds private data even when something else created it (a git
 * checkout makes `memory/` 0755): tighten it to 0700. Best effort: a directory we do not own
 * keeps its mode, and the files inside are 0600 regardless.
 */
export async function ensurePrivateDir(dir: string): Promise<void> {
  await ensureDir(dir);
  await chmod(dir, DIR_MODE).catch(() => {});
}

export function ensureDirSync(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: DIR_MODE });
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

/**
 * Writes `file` atomically: chunks go to a temp file in the same directory (same filesystem, so
 * rename is atomic), the temp file is fsynced so its contents are on disk before it gets the real
 * name, then renamed, then the directory is fsynced so the new name is durable too.
 */
export async function writeFileAtomic(
  file: string,
  chunks: Iterable<string | Uint8Array> | AsyncIterable<string | Uint8Array>,
  options: { fsync?: boolean } = {},
): Promise<number> {
  const fsync = options.fsync ?? true;
  const tmp = tempPathFor(file);
  let bytes = 0;
  const handle = await open(tmp, "wx", FILE_MODE);
  try {
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    for await (const chunk of chunks) {
      const buf = typeof chunk === "string" ? Buffer.from(chunk, "utf8") : Buffer.from(chunk);
      pending.push(buf);
      pendingBytes += buf.length;
      // Batch small chunks into ~1 MiB writes: one syscall per entry would dominate large snapshots.
      if (pendingBytes >= 1 << 20) {
        await handle.write(Buffer.concat(pending));
        bytes += pendingBytes;
        pending = [];
        pendingBytes = 0;
      }
    }
    if (pendingBytes > 0) {
      await handle.write(Buffer.concat(pending));
      bytes += pendingBytes;
    }
    if (fsync) await handle.sync();
    await handle.close();
    // umask cannot widen 0600, but chmod makes the mode explicit whatever the process umask is.
    await chmod(tmp, FILE_MODE);
    await rename(tmp, file);
  } catch (error) {
    await handle.close().catch(() => {});
    await rm(tmp, { force: true });
    throw error;
  }
  if (fsync) await fsyncDir(path.dirname(file));
  return bytes;
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
