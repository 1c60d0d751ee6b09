/** Where a project and its files really are: the identity a project is known by. */
import { createHash } from "node:crypto";
import { existsSync, readdirSync, realpathSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";

/** A project's id: a short hash of where its directory really is (symlinks resolved). */
export function projectId(projectDir: string): string {
  return createHash("sha256").update(realLocation(projectDir)).digest("hex").slice(0, 8);
}

/**
 * Where `file` really is, whether or not it exists yet: the real path of its deepest existing
 * ancestor (every symlink on the way resolved) joined with the parts that do not exist.
 */
export function realLocation(file: string): string {
  const missing: string[] = [];
  let probe = path.resolve(file);
  for (;;) {
    try {
      return path.join(realpathSync(probe), ...missing.reverse());
    } catch {
      const parent = path.dirname(probe);
      if (parent === probe) return path.resolve(file);
      missing.push(path.basename(probe));
      probe = parent;
    }
  }
}

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
