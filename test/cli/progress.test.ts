/**
 * Long work at a terminal: a labelled bar with counts and an ETA that is an estimate (not "0s"
 * throughout), a line while the file is read, and Ctrl-C that stops the work, gives the cursor
 * back and says how far it got, with what it says stored really stored. Without a terminal, a
 * SIGINT does the same minus the bar. The terminal is a real pseudo-terminal from util-linux's
 * `script`; the Ctrl-C is the byte the terminal turns into SIGINT.
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it, vi } from "vitest";
import { CLI, tempProjects } from "../helpers.js";
import { cliJson } from "./run.js";

vi.setConfig({ testTimeout: 120_000 });

const project = tempProjects();
const TOTAL = 100_000;

function bigFile(dir: string): void {
  const entries = Array.from({ length: TOTAL }, (_, i) => ({
    key: `k${i}`,
    value: `value ${i} ${"v".repeat(40)}`,
  }));
  writeFileSync(path.join(dir, "big.json"), JSON.stringify(entries));
}

async function storedCount(dir: string): Promise<number> {
  const stats = await cliJson<{ entries: number }>(dir, ["stats"]);
  return stats.entries;
}

describe("Ctrl-C during batch-store", () => {
  it("without a terminal: SIGINT stops the work, exits 130 and says how much was stored", async () => {
    const dir = project();
    bigFile(dir);
    const child = spawn(process.execPath, [CLI, "batch-store", "big.json"], {
      cwd: dir,
      env: { PATH: process.env.PATH ?? "" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString();
    });
    const journal = path.join(dir, "memory", "claude-flow-data.journal");
    // Interrupt once writing has started: the journal has grown.
    while (!(existsSync(journal) && statSync(journal).size > 0)) await new Promise((r) => setTimeout(r, 20));
    child.kill("SIGINT");
    const code = await new Promise<number | null>((r) => child.on("close", r));
    expect(code).toBe(130);
    const m = /^memory-bank: interrupted: ([\d,]+) of 100,000 stored$/m.exec(stderr);
    expect(m, stderr).not.toBeNull();
    const done = Number(m?.[1]?.replace(/,/g, ""));
    expect(done).toBeGreaterThan(0);
    expect(done).toBeLessThan(TOTAL);
    expect(stdout).toBe("");
    // What it says is stored is stored, and nothing more.
    expect(await storedCount(dir)).toBe(done);
  });

  it("at a terminal: labelled bar with an ETA, a line while the file is read, and ^C restores the cursor", async () => {
    const script = spawnSync("script", ["--version"], { encoding: "utf8" });
    if (script.error) {
      throw new Error(
        "this test needs util-linux's `script` for a pseudo-terminal (apt-get install bsdutils): it is not installed",
      );
    }
    const dir = project();
    bigFile(dir);
    const command = `${process.execPath} ${CLI} batch-store big.json`;
    const child = spawn("script", ["-qfec", command, "/dev/null"], {
      cwd: dir,
      env: { PATH: process.env.PATH ?? "", TERM: "xterm", COLUMNS: "120", LINES: "40" },
      stdio: ["pipe", "pipe", "pipe"],
    });
    let out = "";
    let sent = false;
    const etas: string[] = [];
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
      for (const m of out.matchAll(/ETA (\S+)/g)) if (m[1]) etas.push(m[1]);
      // Ctrl-C once the bar has moved past a few updates, so an ETA can have been estimated.
      if (!sent && /storing \[[^\]]*\] \d+% [\d,]+\/100,000 \| ETA \d/.test(out)) {
        sent = true;
        child.stdin.write("\x03");
      }
    });
    const code = await new Promise<number | null>((r) => child.on("close", r));
    expect(sent, out).toBe(true);
    expect(code).toBe(130);
    expect(out).toMatch(/storing: reading big\.json…/);
    expect(out.indexOf("reading big.json")).toBeLessThan(out.indexOf("storing ["));
    // A real estimate, not "0s" for the whole run.
    expect(
      etas.some((e) => /^\d+[smh]/.test(e) && e !== "0s"),
      etas.join(" "),
    ).toBe(true);
    // The cursor hidden for the bar is shown again after the last bar drawn, and the summary follows.
    expect(out.lastIndexOf("\x1b[?25h")).toBeGreaterThan(out.lastIndexOf("\x1b[?25l"));
    const summary = out.lastIndexOf("interrupted: ");
    expect(summary).toBeGreaterThan(out.lastIndexOf("storing ["));
    expect(out.slice(summary)).toMatch(/^interrupted: [\d,]+ of 100,000 stored/);
  });
});
