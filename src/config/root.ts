/**
 * Which directory a command belongs to: the project root found by walking up from where it runs.
 * Kept apart from project.ts (and free of node:crypto) because the binary's lean path (cli/lean.ts)
 * needs it before it loads anything else.
 */
import { existsSync, readdirSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";

/** The config file a project keeps at its root. */
export const CONFIG_FILE = "claude-flow.config.json";

/** Where the store's snapshot is when memory.path does not say (relative to the project). */
export const DEFAULT_DATA_PATH = "./memory/claude-flow-data.json";

/** What marks a directory as a project's root, in the order `findProjectRoot` reports them. */
export const ROOT_MARKERS = ["claude-flow.config.json", ".mcp.json", "memory"] as const;

export interface ProjectRoot {
  dir: string;
  /** Why this directory: the marker found there, "repository root", or "working directory". */
  foundBy: string;
}

/**
 * The project a command run in `cwd` belongs to. A person types `memory-bank query x` from
 * src/lib as readily as from the root, and the store they mean is the project's, not a new empty
 * one in src/lib: so walk up to the nearest directory holding the config file, `.mcp.json` or
 * an existing `memory/` store. The walk stops at the repository root (the directory holding `.git`),
 * and the home directory is never reached from below; a repository without markers is its own
 * root, and outside any repository with no marker above, the working directory is.
 */
export function findProjectRoot(cwd: string, home = os.homedir()): ProjectRoot {
  const start = path.resolve(cwd);
  let dir = start;
  for (;;) {
    // The home directory ends the walk: it is nobody's project by accident (a ~/memory/ from one
    // run there must not capture every folder below it).
    if (dir === home && dir !== start) return { dir: start, foundBy: "working directory" };
    for (const marker of ROOT_MARKERS) {
      const at = path.join(dir, marker);
      if (marker === "memory" ? holdsStore(at) : existsSync(at)) return { dir, foundBy: marker };
    }
    if (existsSync(path.join(dir, ".git"))) return { dir, foundBy: "repository root" };
    const parent = path.dirname(dir);
    if (parent === dir) return { dir: start, foundBy: "working directory" };
    dir = parent;
  }
}

/**
 * A `memory/` folder counts only when it holds a store (a file named like the default
 * snapshot's): a source folder called memory (src/memory/) is not a project root.
 */
function holdsStore(dir: string): boolean {
  try {
    return statSync(dir).isDirectory() && readdirSync(dir).some((n) => n.startsWith("claude-flow-data."));
  } catch {
    return false;
  }
}
