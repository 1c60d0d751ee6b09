/** Runs the real `memory-bank` binary (dist/src/cli.js) in a project directory. */
import { spawn } from "node:child_process";
import { BASE_ENV, CLI } from "../helpers.js";

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function cli(
  cwd: string,
  args: string[],
  env: Record<string, string> = {},
  options: { stdin?: string } = {},
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd,
      env: { ...BASE_ENV, ...env },
      stdio: [options.stdin === undefined ? "ignore" : "pipe", "pipe", "pipe"],
    });
    if (options.stdin !== undefined) child.stdin?.end(options.stdin);
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString();
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

/** Runs a verb with --json, expects exit 0, and returns the parsed output. */
export async function cliJson<T = Record<string, unknown>>(cwd: string, args: string[]): Promise<T> {
  const r = await cli(cwd, [...args, "--json"]);
  if (r.code !== 0) throw new Error(`memory-bank ${args.join(" ")} exited ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}
