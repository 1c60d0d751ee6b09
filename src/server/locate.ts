/**
 * Finds a project's bank server without loading the config schema, so that a CLI call or a
 * `serve` relay that a running bank server answers costs little more than node's own start
 * (cli/lean.ts). It walks to the project root as loadConfig does (config/project.ts), reads the
 * raw config file, and takes only what names the socket: memory.path and memory.server.shared.
 * Anything it cannot read plainly (bad JSON, a field of the wrong type) is left to the full path,
 * which reports it. A server is known here by a fingerprint of the file's text, not of the parsed
 * settings: the server computes the same from the text it loaded (bank-server.ts), and a
 * mismatch (an edited file) only sends the client down the full path, which compares settings.
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { CONFIG_FILE, DEFAULT_DATA_PATH, findProjectRoot } from "../config/root.js";
import { VERSION } from "../config/version.js";
import { MAX_SOCKET_PATH, storeLayout } from "../store/layout.js";

/** A store's bank server as a client names it: where its store is, and what it must match. */
export interface Target {
  dataPath: string;
  projectDir: string;
  /** The config file a server started for it reads (--config), when there is one. */
  file?: string;
  fingerprint: string;
  /** The fingerprint is of the file's text (rawFingerprintOf), not of the parsed settings. */
  raw?: boolean;
}

/** MEMORY_BANK_SHARED=0 (or false, no, off) turns the bank server off for this process. */
export function sharedOffByEnv(env: NodeJS.ProcessEnv): boolean {
  const flag = env.MEMORY_BANK_SHARED;
  return flag !== undefined && /^(0|false|no|off)$/i.test(flag);
}

/**
 * Longest config file the lean path reads (its text travels in the hello, which the server reads
 * up to wire.ts's MAX_CONTROL_LINE); a longer one takes the full path.
 */
const MAX_RAW_CONFIG = 16 * 1024;

/**
 * The text itself rather than a hash of it: hashing would load node:crypto, a tenth of what the
 * lean path costs, to save a few hundred bytes on a local socket.
 */
export function rawFingerprintOf(projectDir: string, dataPath: string, text: string | undefined): string {
  return JSON.stringify(["text", VERSION, projectDir, dataPath, text ?? null]);
}

/**
 * The bank server target of a command run in `cwd`, or undefined when the full path must
 * decide: the bank server is off, or the config file is not plainly readable.
 */
export function locate(cwd: string, env: NodeJS.ProcessEnv): Target | undefined {
  if (sharedOffByEnv(env)) return undefined;
  const explicit = env.MEMORY_BANK_CONFIG;
  const file = explicit
    ? path.resolve(cwd, explicit)
    : path.join(findProjectRoot(path.resolve(cwd)).dir, CONFIG_FILE);
  const projectDir = path.dirname(file);
  let text: string | undefined;
  let memory: Record<string, unknown> = {};
  if (existsSync(file)) {
    try {
      text = readFileSync(file, "utf8");
      if (text.length > MAX_RAW_CONFIG) return undefined;
      const raw: unknown = JSON.parse(text);
      if (!isObject(raw)) return undefined;
      if (raw.memory !== undefined) {
        if (!isObject(raw.memory)) return undefined;
        memory = raw.memory;
      }
    } catch {
      return undefined;
    }
  } else if (explicit) return undefined;
  const dataPath = memory.path ?? DEFAULT_DATA_PATH;
  if (typeof dataPath !== "string" || dataPath === "") return undefined;
  const server = memory.server ?? {};
  if (!isObject(server)) return undefined;
  if (server.shared !== undefined && server.shared !== true) return undefined;
  const resolved = path.resolve(projectDir, dataPath);
  return {
    dataPath: resolved,
    projectDir,
    ...(text !== undefined ? { file } : {}),
    fingerprint: rawFingerprintOf(projectDir, resolved, text),
    raw: true,
  };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

/** The socket in the store's own directory, or undefined when its path is too long and endpoint.ts relocates it. */
export function socketInPlace(dataPath: string): string | undefined {
  const socket = storeLayout(dataPath).socket;
  return Buffer.byteLength(socket) <= MAX_SOCKET_PATH ? socket : undefined;
}
