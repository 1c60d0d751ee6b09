/** `memory-bank ui --no-open` as a real process in a project: its URL, its log, and how to stop it. */
import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { CLI } from "../helpers.js";

export interface UiProcess {
  url: string;
  /** http://127.0.0.1:PORT, without the token. */
  origin: string;
  child: ChildProcessWithoutNullStreams;
  stderr: () => string;
  stop(): Promise<void>;
}

export function startUiProcess(cwd: string, env: Record<string, string> = {}): Promise<UiProcess> {
  const child = spawn(process.execPath, [CLI, "ui", "--no-open"], {
    cwd,
    env: { PATH: process.env.PATH ?? "", ...env },
    stdio: ["pipe", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => {
    stderr += d.toString();
  });
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  return new Promise((resolve, reject) => {
    child.once("exit", (code) =>
      reject(new Error(`memory-bank ui exited ${code} before printing its URL: ${stderr}`)),
    );
    child.stdout.on("data", (d: Buffer) => {
      stdout += d.toString();
      const m = /^(http:\/\/127\.0\.0\.1:\d+)\/\?token=\S+$/m.exec(stdout);
      if (!m) return;
      resolve({
        url: m[0],
        origin: m[1] as string,
        child,
        stderr: () => stderr,
        stop: async () => {
          if (child.exitCode === null) child.kill("SIGTERM");
          await exited;
        },
      });
    });
  });
}
