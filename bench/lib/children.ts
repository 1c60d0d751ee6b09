/** Helper processes of the benchmark (dist/bench/child/*.js), each answering one JSON line. */
import { type ChildProcess, spawn } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";

const CHILD_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "child");

export function childScript(name: string): string {
  return path.join(CHILD_DIR, `${name}.js`);
}

export interface ChildOptions {
  nodeArgs?: string[];
  timeoutMs?: number;
}

/** Runs a child to completion and parses the last line it printed. */
export function runChild<T>(name: string, args: unknown, options: ChildOptions = {}): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [...(options.nodeArgs ?? []), childScript(name), JSON.stringify(args)],
      {
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let out = "";
    let err = "";
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
    });
    child.stderr.on("data", (d: Buffer) => {
      err += d.toString();
      if (err.length > 65536) err = err.slice(-32768);
    });
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`${name} timed out after ${options.timeoutMs} ms`));
    }, options.timeoutMs ?? 600_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      const last = out.trim().split("\n").pop() ?? "";
      if (code !== 0) {
        reject(new Error(`${name} exited with ${code}: ${err.slice(-2000)}`));
        return;
      }
      try {
        resolve(JSON.parse(last) as T);
      } catch {
        reject(new Error(`${name} printed no result: ${out.slice(-500)} ${err.slice(-2000)}`));
      }
    });
  });
}

/**
 * A child that signals "ready" on stdout, then waits for a line on stdin before it starts, so several
 * children can be released at the same moment.
 */
export interface GatedChild {
  ready: Promise<void>;
  go: () => void;
  result: Promise<unknown>;
  process: ChildProcess;
}

export function gatedChild(name: string, args: unknown, timeoutMs = 600_000): GatedChild {
  const child = spawn(process.execPath, [childScript(name), JSON.stringify(args)], {
    stdio: ["pipe", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  let markReady: () => void = () => {};
  let failReady: (e: Error) => void = () => {};
  const ready = new Promise<void>((res, rej) => {
    markReady = res;
    failReady = rej;
  });
  child.stdout.on("data", (d: Buffer) => {
    out += d.toString();
    if (out.includes("ready\n")) markReady();
  });
  child.stderr.on("data", (d: Buffer) => {
    err += d.toString();
    if (err.length > 65536) err = err.slice(-32768);
  });
  const result = new Promise<unknown>((resolve, reject) => {
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      const e = new Error(`${name} exited with ${code}: ${err.slice(-2000)}`);
      failReady(e);
      if (code !== 0) return reject(e);
      try {
        resolve(JSON.parse(out.trim().split("\n").pop() ?? ""));
      } catch {
        reject(new Error(`${name} printed no result: ${out.slice(-500)}`));
      }
    });
  });
  result.catch(() => {});
  ready.catch(() => {});
  return { ready, go: () => child.stdin.end("go\n"), result, process: child };
}
