/** Shared fixtures of the store unit tests: temp stores, entries, and byte-exact file inventories. */
import { type ChildProcessByStdio, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Readable } from "node:stream";
import { afterEach } from "vitest";
import type { Entry } from "../../../src/domain/entry.js";
import { JsonStore, type JsonStoreOptions } from "../../../src/store/json/json-store.js";
import { ROOT } from "../../helpers.js";
import { entry } from "../entries.js";

export { entry };

export function tempDir(): string {
  return realpathSync(mkdtempSync(path.join(tmpdir(), "memory-bank-store-")));
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** A maker of temporary directories for one test file; each is removed after its test. */
export function tempDirs(): () => string {
  let dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs) removeDir(d);
    dirs = [];
  });
  return () => {
    const d = tempDir();
    dirs.push(d);
    return d;
  };
}

/** The journal of the store under `dir` (see dataPath). */
export function journalPath(dir: string): string {
  return path.join(dir, "memory", "claude-flow-data.journal");
}

export interface Opened {
  store: JsonStore;
  logs: string[];
}

export function dataPath(dir: string): string {
  return path.join(dir, "memory", "claude-flow-data.json");
}

export function makeStore(dir: string, options: Partial<JsonStoreOptions> = {}): Opened {
  const logs: string[] = [];
  const store = new JsonStore({ dataPath: dataPath(dir), log: (m) => logs.push(m), ...options });
  return { store, logs };
}

export async function openStore(dir: string, options: Partial<JsonStoreOptions> = {}): Promise<Opened> {
  const o = makeStore(dir, options);
  await o.store.open();
  return o;
}

/** Stores `key = value` (bumping the version like the service does). */
export function put(store: JsonStore, key: string, value: unknown, namespace = "default"): Promise<Entry> {
  return store.write((tx) => {
    const prev = tx.get(namespace, key);
    const e = entry(key, value, namespace, (prev?.version ?? 0) + 1);
    tx.put(e);
    return e;
  });
}

/** key -> value of everything the store holds. */
export function contents(store: JsonStore): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const e of store.entries()) out[`${e.namespace}/${e.key}`] = e.value;
  return out;
}

/** Every file under `dir` with the sha256 of its bytes: "was anything changed or lost?" */
export function inventory(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = path.join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out[path.relative(dir, p)] = createHash("sha256").update(readFileSync(p)).digest("hex");
    }
  };
  walk(dir);
  return out;
}

/** Every byte stored anywhere under `dir`, concatenated: "is this damaged line still kept?" */
export function allBytes(dir: string): Buffer {
  const parts: Buffer[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = path.join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else parts.push(readFileSync(p));
    }
  };
  walk(dir);
  return Buffer.concat(parts);
}

/** A child process that takes the lock and then waits, so the test can stop or kill it. */
export async function lockHolderProcess(file: string): Promise<ChildProcessByStdio<null, Readable, null>> {
  const lockModule = path.join(ROOT, "dist", "src", "store", "json", "lock.js");
  const child = spawn(
    process.execPath,
    [
      "--input-type=module",
      "-e",
      `const { acquireLock } = await import(${JSON.stringify(lockModule)});
       await acquireLock(${JSON.stringify(file)}, { staleMs: 5000 });
       process.stdout.write("locked\\n");
       setInterval(() => {}, 1000);`,
    ],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  await new Promise<void>((resolve, reject) => {
    child.stdout.on("data", (d: Buffer) => d.toString().includes("locked") && resolve());
    child.on("exit", (code) => reject(new Error(`lock holder exited with ${code}`)));
  });
  return child;
}
