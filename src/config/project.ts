/** Where a project and its files really are: the identity a project is known by. */
import { createHash } from "node:crypto";
import { realpathSync } from "node:fs";
import path from "node:path";

export { CONFIG_FILE, DEFAULT_DATA_PATH, findProjectRoot, type ProjectRoot, ROOT_MARKERS } from "./root.js";

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
