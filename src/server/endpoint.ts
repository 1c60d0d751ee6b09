/**
 * Where a store's bank server listens, and who may use the store with one. The socket lives in
 * the store's own directory (0700, so only its owner can connect; the socket itself is 0600).
 * A Unix socket path is limited to 107 bytes on Linux (103 on macOS): when the store's path is
 * too long, the socket goes to a private directory of this user under the system's temp dir
 * (created 0700, refused when it is not ours or not private), named by a hash of the store's
 * path, so every process of the store still finds the same one.
 */
import { createHash } from "node:crypto";
import { lstatSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { LoadedConfig } from "../config/config.js";
import { VERSION } from "../config/version.js";
import { MemoryError } from "../domain/errors.js";
import { MAX_SOCKET_PATH, storeLayout } from "../store/layout.js";
import { sharedOffByEnv, type Target } from "./locate.js";

export interface Endpoint {
  socket: string;
  /** True when the socket is in the temp dir because the store's path is too long. */
  relocated: boolean;
}

export function endpointOf(dataPath: string): Endpoint {
  const layout = storeLayout(dataPath);
  if (Buffer.byteLength(layout.socket) <= MAX_SOCKET_PATH) return { socket: layout.socket, relocated: false };
  const uid = process.getuid?.() ?? 0;
  const dir = path.join(tmpdir(), `memory-bank-${uid}`);
  try {
    mkdirSync(dir, { mode: 0o700 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
  }
  const st = lstatSync(dir);
  if (!st.isDirectory() || st.uid !== uid || (st.mode & 0o077) !== 0) {
    throw new MemoryError(
      "UNAVAILABLE",
      `${dir} (where the socket of a store with a long path goes) is not a private directory of this user: remove it, or set memory.server.shared to false`,
    );
  }
  const hash = createHash("sha256").update(layout.snapshot).digest("hex").slice(0, 24);
  return { socket: path.join(dir, `${hash}.sock`), relocated: true };
}

/** Whether this process should use a bank server for this store (memory.server.shared, MEMORY_BANK_SHARED). */
export function sharedEnabled(loaded: LoadedConfig, env: NodeJS.ProcessEnv = process.env): boolean {
  if (sharedOffByEnv(env)) return false;
  return loaded.memory.server.shared;
}

/**
 * What a bank server must match to be used: the package version and the settings it opened the
 * store with. A server of another version, or started before the config changed, is asked to
 * finish and a matching one is started.
 */
export function fingerprintOf(loaded: LoadedConfig): string {
  return createHash("sha256")
    .update(JSON.stringify([VERSION, loaded.projectDir, loaded.dataPath, loaded.memory]))
    .digest("hex")
    .slice(0, 16);
}

/** The bank server a process that has loaded its config asks for. */
export function targetOf(loaded: LoadedConfig): Target {
  return {
    dataPath: loaded.dataPath,
    projectDir: loaded.projectDir,
    ...(loaded.file ? { file: loaded.file } : {}),
    fingerprint: fingerprintOf(loaded),
  };
}
