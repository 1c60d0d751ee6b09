/**
 * The system tier runs the compiled dist/: it must be what src/ says now. A dist/ file older
 * than its source, a source never compiled, or a compiled module whose source is gone (moved or
 * deleted, so a test could still load it) stops the run before any test, naming the file and
 * the fix.
 */
import { existsSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");

function files(dir: string, ext: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, encoding: "utf8" })
    .filter((f) => f.endsWith(ext))
    .map((f) => path.join(dir, f));
}

/** The compiled trees the system tier runs: the product, and the benchmark's peers and children. */
const TREES = ["src", "bench"];

export function staleDist(root = ROOT): string[] {
  const problems: string[] = [];
  for (const tree of TREES) {
    for (const src of files(path.join(root, tree), ".ts")) {
      const out = path.join(root, "dist", path.relative(root, src)).replace(/\.ts$/, ".js");
      if (!existsSync(out)) problems.push(`${path.relative(root, src)} is not compiled`);
      else if (statSync(out).mtimeMs < statSync(src).mtimeMs)
        problems.push(`${path.relative(root, out)} is older than ${path.relative(root, src)}`);
    }
    for (const out of files(path.join(root, "dist", tree), ".js")) {
      const src = path.join(root, path.relative(path.join(root, "dist"), out)).replace(/\.js$/, ".ts");
      if (!existsSync(src)) problems.push(`${path.relative(root, out)} has no source any more`);
    }
  }
  return problems;
}

export default function setup(): void {
  const problems = staleDist();
  if (problems.length > 0) {
    throw new Error(
      `dist/ does not match src/ (${problems.slice(0, 5).join("; ")}${problems.length > 5 ? `; ${problems.length - 5} more` : ""}): run \`npm run build\` (it starts from an empty dist/), then the tests`,
    );
  }
}
