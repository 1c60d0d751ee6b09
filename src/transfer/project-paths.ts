/**
 * Paths that tools read or write (export, import) must stay inside the project directory: agents
 * pass them, and an agent must not be able to read ~/.ssh or overwrite files elsewhere, whether
 * with "..", an absolute path, or a symlink that points out.
 */
import { lstatSync, readdirSync, realpathSync, type Stats, statSync } from "node:fs";
import path from "node:path";
import { realLocation } from "../config/project.js";
import { MemoryError } from "../domain/errors.js";
import { printable } from "../domain/input.js";
import { storeLayout } from "../store/layout.js";

export function resolveInsideProject(projectDir: string, requested: string, field = "path"): string {
  if (requested.includes("\u0000")) {
    throw new MemoryError("INVALID_INPUT", `${field} contains a NUL byte: give a plain relative path`);
  }
  const root = realpathSync(projectDir);
  const target = path.resolve(root, requested);
  const rel = path.relative(root, target);
  if (rel === "" || rel.startsWith("..") || path.isAbsolute(rel)) {
    throw outside(field, requested);
  }
  // Walk up to the deepest part that exists and check where it really is: a symlinked directory
  // or file inside the project can still point outside of it.
  let probe = target;
  for (;;) {
    let exists = true;
    try {
      lstatSync(probe);
    } catch {
      exists = false;
    }
    if (exists) {
      let real: string;
      try {
        real = realpathSync(probe);
      } catch {
        // A dangling symlink (or a loop): where it leads cannot be checked, so it is refused.
        throw outside(field, requested);
      }
      const realRel = path.relative(root, real);
      if (realRel.startsWith("..") || path.isAbsolute(realRel)) throw outside(field, requested);
      break;
    }
    const parent = path.dirname(probe);
    if (parent === probe) break;
    probe = parent;
  }
  return target;
}

/** How a path inside the project is shown to agents: relative to where the project really is. */
export function relativeToProject(projectDir: string, file: string): string {
  return path.relative(realLocation(projectDir), realLocation(file)) || ".";
}

function outside(field: string, requested: string): MemoryError {
  return new MemoryError(
    "PATH_OUTSIDE_PROJECT",
    `${field} '${printable(requested)}' is outside the project directory: use a path relative to the project, such as memory/exports/backup.json`,
  );
}

/** What a tool's write must never replace: the store's files, and the config that names them. */
export interface ProtectedFiles {
  /** The store's snapshot path; the store owns its siblings named after it and its folders. */
  dataPath: string;
  /** The config file in use, if any. */
  configFile?: string | undefined;
}

/**
 * Files the store owns (snapshot, journal, lock, temp files, vectors, backups/, corrupt/,
 * sessions/) and the config file must never be the target of a write a tool was asked for: an
 * export written over the journal would replace every acknowledged write since the last
 * compaction with an export document, one over the snapshot would leave a store no process can
 * open. Both sides are compared where they really are: the store's directory can be reached
 * through a symlink (`memory/` -> `.store/`), and the project itself through a symlinked path
 * (macOS's /tmp and /var are symlinks), so plain path strings do not tell whether two paths name
 * one file. A hard link to one of those files is refused too.
 */
export function refuseStoreFiles(file: string, protect: ProtectedFiles, field = "path"): void {
  const target = realLocation(file);
  const storeDir = realLocation(path.dirname(protect.dataPath));
  if (protect.configFile && target === realLocation(protect.configFile)) {
    throw new MemoryError(
      "PATH_OUTSIDE_PROJECT",
      `${field} '${printable(path.basename(file))}' is the config file ${protect.configFile}: write exports elsewhere, such as memory/exports/backup.json`,
    );
  }
  const owned = storeLayout(protect.dataPath).owns;
  let sameFile = false;
  if (!owned(path.relative(storeDir, target)))
    sameFile = isLinkOf(target, storeDir, owned, protect.configFile);
  if (owned(path.relative(storeDir, target)) || sameFile) {
    throw new MemoryError(
      "PATH_OUTSIDE_PROJECT",
      `${field} '${printable(path.basename(file))}' is ${sameFile ? "a hard link to " : ""}one of the store's own files in ${storeDir}: write exports elsewhere, such as memory/exports/backup.json`,
    );
  }
}

/** True when `target` is an existing file with other names, one of which is a store file or the config. */
function isLinkOf(
  target: string,
  storeDir: string,
  owned: (rel: string) => boolean,
  configFile: string | undefined,
): boolean {
  let st: Stats;
  try {
    st = statSync(target);
  } catch {
    return false;
  }
  if (!st.isFile() || st.nlink < 2) return false;
  let names: string[] = [];
  try {
    names = readdirSync(storeDir).filter((n) => owned(n));
  } catch {
    // an unreadable store directory has no files to protect from here
  }
  const candidates = [...names.map((n) => path.join(storeDir, n)), ...(configFile ? [configFile] : [])];
  return candidates.some((c) => {
    try {
      const o = statSync(c);
      return o.ino === st.ino && o.dev === st.dev;
    } catch {
      return false;
    }
  });
}
