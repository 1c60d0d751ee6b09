/**
 * Opening the files that import (and the CLI's entries and retention files) read from paths a
 * caller gave: only regular files. A FIFO blocks whoever opens it until some writer shows up (a
 * synchronous open would stop the whole server; an asynchronous one ties up a thread-pool thread
 * for good), a socket or a device is not data, and opening a device can have effects of its own.
 */
import { constants, type Stats } from "node:fs";
import { type FileHandle, open, stat } from "node:fs/promises";
import { MemoryError } from "../domain/errors.js";
import { printable } from "../domain/input.js";

/** What a non-regular file is, in words a person recognizes. */
export function kindOf(st: Stats): string {
  if (st.isFIFO()) return "a FIFO";
  if (st.isSocket()) return "a socket";
  if (st.isCharacterDevice()) return "a character device";
  if (st.isBlockDevice()) return "a block device";
  if (st.isDirectory()) return "a folder";
  if (st.isSymbolicLink()) return "a symlink";
  return "not a file";
}

export function notRegular(name: string, st: Stats): MemoryError {
  return new MemoryError(
    "INVALID_INPUT",
    `'${printable(name)}' is ${kindOf(st)}, not a regular file: give a regular file${st.isDirectory() ? "" : " (import also reads backup folders)"}`,
  );
}

/**
 * Opens `file` for reading if it is a regular file. The type is checked before the open (so a
 * device is never opened) and again on the open descriptor (so a file swapped for a FIFO in
 * between is caught); O_NONBLOCK makes that open return at once whatever it finds, and means
 * nothing for the reads of a regular file. File-system errors (ENOENT, EACCES) are thrown as
 * they are, for the caller to word.
 */
export async function openRegularFile(file: string, name: string): Promise<FileHandle> {
  const before = await stat(file);
  if (!before.isFile()) throw notRegular(name, before);
  const handle = await open(file, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  try {
    const st = await handle.stat();
    if (!st.isFile()) throw notRegular(name, st);
  } catch (error) {
    await handle.close();
    throw error;
  }
  return handle;
}

/** Reads a whole regular file (see openRegularFile), with positional reads. */
export async function readRegularFile(file: string, name: string): Promise<Buffer> {
  const handle = await openRegularFile(file, name);
  try {
    return await readAll(handle);
  } finally {
    await handle.close();
  }
}

/** Every byte of an open file, read by position (the handle's own position is never moved). */
export async function readAll(handle: FileHandle): Promise<Buffer> {
  const size = (await handle.stat()).size;
  const chunks: Buffer[] = [];
  let total = 0;
  for (;;) {
    // Sized by the file, and read on until end of file: a file that grows meanwhile is read whole.
    const buf = Buffer.allocUnsafe(Math.max(64 * 1024, size - total));
    const { bytesRead } = await handle.read(buf, 0, buf.length, total);
    if (bytesRead === 0) break;
    chunks.push(buf.subarray(0, bytesRead));
    total += bytesRead;
  }
  return Buffer.concat(chunks, total);
}
