/**
 * The evaluation corpus, assembled deterministically from material already on this machine:
 * every documented API of Node.js in `node_modules/@types/node` (one JSDoc block = one document,
 * keyed by module and qualified name, e.g. `node/fs/readFileSync`), plus the sections of the
 * Markdown READMEs of installed packages (keyed by package and heading) when more documents
 * are needed. Built at eval time (no corpus file is committed), sorted, so every run sees the
 * same documents in the same order.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";

export interface EvalDoc {
  /** Unique key, e.g. "node/fs/promises/readFile" or "readme/commander/Options". */
  key: string;
  /** What the API or section is called: used to write questions about it. */
  name: string;
  /** Module or package (also the tag). */
  group: string;
  text: string;
  source: "jsdoc" | "readme" | "wordnet" | "changelog";
}

const MAX_TEXT = 2000;

function walk(dir: string, out: string[]): void {
  for (const name of readdirSync(dir).sort()) {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) {
      if (name !== "ts5.6" && name !== "compatibility" && name !== "web-globals") walk(p, out);
    } else if (name.endsWith(".d.ts")) out.push(p);
  }
}

function cleanJsDoc(block: string): string {
  return block
    .replace(/^\s*\/\*\*\s?/, "")
    .replace(/\*\/\s*$/, "")
    .split("\n")
    .map((l) => l.replace(/^\s*\* ?/, ""))
    .join("\n")
    .replace(/\{@link\s+([^}|\s]+)[^}]*\}/g, "$1")
    .trim();
}

const DECL =
  /^\s*(?:export\s+)?(?:declare\s+)?(?:static\s+)?(?:readonly\s+)?(?:abstract\s+)?(?:async\s+)?(?:function\s+|const\s+|let\s+|var\s+|class\s+|interface\s+|type\s+|namespace\s+|enum\s+)?(?:get\s+|set\s+)?["']?([A-Za-z_$][\w$]*)["']?\??\s*[(<:=,;{]/;
const SCOPE =
  /^\s*(?:export\s+)?(?:declare\s+)?(?:abstract\s+)?(?:class|interface|namespace)\s+([A-Za-z_$][\w$]*)[^{;]*\{\s*$/;
const MODULE = /^\s*declare\s+module\s+["']([^"']+)["']\s*\{/;

/** Documented declarations of one .d.ts file. */
function jsdocDocs(file: string): EvalDoc[] {
  const lines = readFileSync(file, "utf8").split("\n");
  const docs: EvalDoc[] = [];
  // Scope stack: [name, brace depth at which it closes].
  const stack: Array<[string, number]> = [];
  let depth = 0;
  let moduleName = "";
  let pending: string | undefined;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    if (/^\s*\/\*\*/.test(line)) {
      let block = line;
      while (!block.includes("*/") && i + 1 < lines.length) block += `\n${lines[++i]}`;
      pending = cleanJsDoc(block);
      continue;
    }
    if (/^\s*(\/\/|\*)/.test(line) || line.trim() === "") continue;
    const mod = MODULE.exec(line);
    if (mod) {
      moduleName = (mod[1] as string).replace(/^node:/, "");
      stack.length = 0;
    }
    const decl = DECL.exec(line);
    if (pending && decl && !mod) {
      const name = decl[1] as string;
      const scope = stack.map((s) => s[0]);
      const qualified = [...scope, name].join(".");
      if (pending.length >= 40 && !/^@/.test(pending) && moduleName) {
        docs.push({
          key: `node/${moduleName}/${qualified}`,
          name: qualified,
          group: moduleName,
          text: pending.length > MAX_TEXT ? pending.slice(0, MAX_TEXT) : pending,
          source: "jsdoc",
        });
      }
    }
    pending = undefined;
    const scope = SCOPE.exec(line);
    const opens = (line.match(/\{/g) ?? []).length;
    const closes = (line.match(/\}/g) ?? []).length;
    if (scope && !mod) stack.push([scope[1] as string, depth]);
    depth += opens - closes;
    while (stack.length && depth <= (stack[stack.length - 1] as [string, number])[1]) stack.pop();
  }
  return docs;
}

/** `## Heading` sections of a README with at least a few lines of prose. */
function readmeDocs(pkg: string, file: string): EvalDoc[] {
  const docs: EvalDoc[] = [];
  const text = readFileSync(file, "utf8");
  const parts = text.split(/^#{2,4}\s+/m).slice(1);
  for (const part of parts) {
    const nl = part.indexOf("\n");
    const heading = part
      .slice(0, nl)
      .replace(/[`*_[\]()<>#]/g, "")
      .trim();
    const body = part.slice(nl + 1).trim();
    if (!heading || heading.length > 80 || body.replace(/```[\s\S]*?```/g, "").length < 120) continue;
    docs.push({
      key: `readme/${pkg}/${heading}`,
      name: heading,
      group: pkg,
      text: `${heading}\n${body}`.slice(0, MAX_TEXT),
      source: "readme",
    });
  }
  return docs;
}

/** The corpus: all of @types/node's documented APIs, then README sections up to `min` documents. */
export function buildCorpus(root: string, min = 2000): EvalDoc[] {
  const files: string[] = [];
  walk(path.join(root, "node_modules", "@types", "node"), files);
  const byKey = new Map<string, EvalDoc>();
  for (const f of files) for (const d of jsdocDocs(f)) if (!byKey.has(d.key)) byKey.set(d.key, d);
  const docs = [...byKey.values()];
  if (docs.length < min) {
    const nm = path.join(root, "node_modules");
    const pkgs: string[] = [];
    for (const name of readdirSync(nm).sort()) {
      if (name.startsWith(".")) continue;
      if (name.startsWith("@"))
        for (const sub of readdirSync(path.join(nm, name)).sort()) pkgs.push(`${name}/${sub}`);
      else pkgs.push(name);
    }
    for (const pkg of pkgs) {
      const readme = ["README.md", "readme.md", "Readme.md"]
        .map((n) => path.join(nm, pkg, n))
        .find((p) => existsSync(p));
      if (!readme || pkg === "@types/node") continue;
      for (const d of readmeDocs(pkg, readme)) {
        if (byKey.has(d.key)) continue;
        byKey.set(d.key, d);
        docs.push(d);
      }
    }
  }
  return docs.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}
