/**
 * Paths that tools read or write (export, import) must stay inside the project directory: agents
 * pass them, and an agent must not be able to read ~/.ssh or overwrite files elsewhere, whether
 * with "..", an absolute path, or a symlink that points out.
 */
import { lstatSync, realpathSync } from "node:fs";
import path from "node:path";
import { MemoryError } from "./errors.js";
import { printable } from "./model.js";

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

function outside(field: string, requested: string): MemoryError {
  return new MemoryError(
    "PATH_OUTSIDE_PROJECT",
    `${field} '${printable(requested)}' is outside the project directory: use a path relative to the project, such as memory/exports/backup.json`,
  );
}

/**
 * Files the store owns (snapshot, journal, lock, temp files, backups/, corrupt/) must never be the
 * target of a write a tool was asked for: an export written over the journal would replace every
 * acknowledged write since the last compaction with an export document.
 */
export function refuseStoreFiles(file: string, dataPath: string, field = "path"): void {
  const dir = path.dirname(dataPath);
  const base = path.basename(dataPath).replace(/\.json$/, "");
  const rel = path.relative(dir, file);
  if (rel.startsWith("..") || path.isAbsolute(rel)) return;
  const [first = ""] = rel.split(path.sep);
  const owned =
    first === "backups" ||
    first === "corrupt" ||
    (rel === first && (first.startsWith(`${base}.`) || first.startsWith(`.${path.basename(dataPath)}.`)));
  if (owned) {
    throw new MemoryError(
      "PATH_OUTSIDE_PROJECT",
      `${field} '${printable(path.basename(file))}' is one of the store's own files in ${dir}: write exports elsewhere, such as memory/exports/backup.json`,
    );
  }
}
