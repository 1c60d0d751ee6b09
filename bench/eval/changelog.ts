/**
 * The episodic corpus: log lines by a few speakers, queried with questions. No conversation
 * corpus ships in a package we can install, so this is the nearest real thing: every entry of
 * the changelogs of four projects (prismjs, rxjs, acorn, qs; devDependencies, so they are on
 * every machine after `npm ci`), one short line each, written by their maintainers over years.
 * One entry = one document: key `log/<package>/<version>/<n>`, text `<package> <version>
 * (<section>): <entry>` with Markdown links reduced to their text and commit hashes dropped,
 * tag = the package. The package name is in every line of its speaker, as a name is in every
 * turn of a conversation.
 *
 * Queries are questions an agent would ask its memory: 16 hand-written ones, and 240 made of the
 * rarest word of an entry and two others drawn from it, some in another form, shuffled, inside
 * a question, half of them naming the package ("when did
 * rxjs throttle properly handles config?", "did we ever fix greedy asciidoc regexes?"). An
 * entry whose exact text appears more than once (under several versions) has all its copies as
 * right answers; entries that are mostly boilerplate ("[Dev Deps] update eslint") are never
 * asked about but stay in the corpus.
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import type { EvalDoc } from "./corpus.js";
import {
  documentFrequencies,
  type EvalQuery,
  rareAndOrdinaryWords,
  reword,
  rng,
  STOP,
  words,
} from "./queries.js";

/** Package → its changelog file. */
const LOGS: ReadonlyArray<[string, string]> = [
  ["prismjs", "CHANGELOG.md"],
  ["rxjs", "CHANGELOG.md"],
  ["acorn", "CHANGELOG.md"],
  ["qs", "CHANGELOG.md"],
];

/** Markdown of one entry → plain text: links and images to their text, no emphasis, no hashes. */
function plain(md: string): string {
  return md
    .replace(/!\[[^\]]*\]\([^)]*\)/g, "")
    .replace(/\[([^\]]*)\]\([^)]*\)/g, "$1")
    .replace(/<[^>]+>/g, "")
    .replace(/https?:\/\/\S+/g, "")
    .replace(/[*_`]{1,3}([^*_`]+)[*_`]{1,3}/g, "$1")
    .replace(/`/g, "")
    .replace(/\b(?=[0-9a-f]*\d)(?=[0-9a-f]*[a-f])[0-9a-f]{7,40}\b/g, "")
    .replace(/\(\s*\)|\[\s*\]/g, "")
    .replace(/\s+/g, " ")
    .trim();
}

const VERSION = /^#{1,3}\s+.*?\bv?(\d+\.\d+(?:\.\d+)?(?:-[\w.]+)?)\b/;

interface Entry {
  pkg: string;
  version: string;
  section: string;
  text: string;
}

/** The entries of one changelog: bullets (a label-only bullet prefixes its children) and paragraphs. */
function parseChangelog(pkg: string, md: string): Entry[] {
  const entries: Entry[] = [];
  let version = "";
  let section = "";
  let inCode = false;
  let paragraph: string[] = [];
  // Label bullets ("* __Bash__") by indentation, for the nested bullets under them.
  let labels: Array<[indent: number, label: string]> = [];
  const push = (text: string) => {
    const t = plain(text);
    if (version && t.length >= 12) entries.push({ pkg, version, section, text: t });
  };
  const flush = () => {
    if (paragraph.length) push(paragraph.join(" "));
    paragraph = [];
  };
  for (const line of md.split("\n")) {
    if (/^\s*```/.test(line)) {
      flush();
      inCode = !inCode;
      continue;
    }
    if (inCode) continue;
    const heading = /^(#{1,6})\s+(.*)$/.exec(line);
    if (heading) {
      flush();
      labels = [];
      const v = VERSION.exec(line);
      if (v) {
        version = v[1] as string;
        section = "";
      } else section = plain(heading[2] as string);
      continue;
    }
    const bullet = /^(\s*)[-*+]\s+(.*)$/.exec(line);
    if (bullet) {
      flush();
      const indent = (bullet[1] as string).length;
      const body = bullet[2] as string;
      labels = labels.filter(([i]) => i < indent);
      const label = plain(body).replace(/:$/, "");
      if (/^(__|\*\*)[^_*]+(__|\*\*):?$/.test(body.trim()) && label.split(" ").length <= 4) {
        labels.push([indent, label]);
        continue;
      }
      const prefix = labels.map(([, l]) => `${l}: `).join("");
      push(prefix + body);
      continue;
    }
    if (line.trim() === "") flush();
    else paragraph.push(line.trim());
  }
  flush();
  return entries;
}

export function buildChangelogCorpus(root: string): EvalDoc[] {
  const docs: EvalDoc[] = [];
  for (const [pkg, file] of LOGS) {
    const p = path.join(root, "node_modules", pkg, file);
    if (!existsSync(p))
      throw new Error(`${p} is missing: the changelog corpus needs the ${pkg} devDependency (npm ci)`);
    const perVersion = new Map<string, number>();
    for (const e of parseChangelog(pkg, readFileSync(p, "utf8"))) {
      const n = (perVersion.get(e.version) ?? 0) + 1;
      perVersion.set(e.version, n);
      docs.push({
        key: `log/${pkg}/${e.version}/${n}`,
        name: e.text,
        group: pkg,
        text: `${pkg} ${e.version}${e.section ? ` (${e.section})` : ""}: ${e.text}`,
        source: "changelog",
      });
    }
  }
  return docs.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

const TEMPLATES = [
  (w: string, pkg: string) => `when did ${pkg} ${w}?`,
  (w: string) => `did we ever ${w}?`,
  (w: string, pkg: string) => `which ${pkg} release was it that ${w}`,
  (w: string) => `what happened with ${w}`,
  (w: string, pkg: string) => `why did ${pkg} change ${w}?`,
  (w: string) => `has anyone looked into ${w} yet`,
];

/** Entries that say little of their own: dependency bumps, test and lint chores. */
const BOILERPLATE = /^\[(Dev Deps|Deps|Tests|meta|eslint|actions|readme|Robustness)\]/i;

/** Hand-written questions in an agent's words, each about one entry (its copies count too). */
const HAND: ReadonlyArray<[string, string]> = [
  ["when did prism get a VBA alias for visual basic", "log/prismjs/1.21.0/84"],
  ["did rxjs add type guard support to groupBy", "log/rxjs/7.0.0-beta.1/18"],
  ["which rxjs version dropped the thisArg parameter from bindCallback", "log/rxjs/5.0.0-alpha.12/18"],
  ["when was the React TSX parameter token removed", "log/prismjs/1.26.0/101"],
  ["how much faster did combineLatest get without tryCatch", "log/rxjs/5.0.0-beta.2/31"],
  ["was a max buffer size option added to bufferTime", "log/rxjs/5.0.0-beta.8/8"],
  ["did prism add aliases for TeX and ConTeXt", "log/prismjs/1.17.0/26"],
  ["qs stringify encoded commas even with encodeValuesOnly", "log/qs/6.9.7/2"],
  ["variables called async were highlighted wrong in javascript", "log/prismjs/1.16.0/66"],
  ["support for Lua templates embedded in markup", "log/prismjs/1.18.0/4"],
  ["what happens with fromFetch when the signal is already aborted", "log/rxjs/7.0.0-alpha.1/7"],
  ["when did ruby string interpolation get highlighted", "log/prismjs/1.0.1/48"],
  ["buffer emitted an empty buffer on completion", "log/rxjs/5.0.0-alpha.1/4"],
  ["fromEvent gives an array for events with several arguments", "log/rxjs/6.0.0-alpha.4/21"],
  ["since when does acorn validate what is inside regular expressions", "log/acorn/5.5.0/2"],
  ["was the trailing comma in the crystal language fixed", "log/prismjs/1.8.4/17"],
];

export function buildChangelogQueries(docs: readonly EvalDoc[], target = 240, seed = 0x10c5): EvalQuery[] {
  // `name` is the entry's own text (no package, version or section).
  const df = documentFrequencies(docs.map((d) => d.name));
  const byText = new Map<string, string[]>();
  for (const d of docs) byText.set(d.name, [...(byText.get(d.name) ?? []), d.key]);
  const random = rng(seed);
  const candidates = docs.filter(
    (d) =>
      !BOILERPLATE.test(d.name) &&
      words(d.name).filter((w) => w.length >= 4 && !STOP.has(w) && !/^\d/.test(w)).length >= 3,
  );
  const order = candidates.map((d) => ({ d, r: random() })).sort((a, b) => a.r - b.r);
  const queries: EvalQuery[] = [];
  const asked = new Set<string>();
  const byKey = new Map(docs.map((d) => [d.key, d]));
  for (const [text, key] of HAND) {
    const d = byKey.get(key);
    if (!d) throw new Error(`hand-written question "${text}": ${key} is not in the changelog corpus`);
    queries.push({ id: `hand-${key}`, text, relevant: byText.get(d.name) ?? [key], kind: "hand" });
  }
  for (const { d } of order) {
    if (queries.length >= target + HAND.length) break;
    if (asked.has(d.name)) continue;
    asked.add(d.name);
    const n = queries.length - HAND.length;
    const ws = reword(rareAndOrdinaryWords(d.name, df, 3, random), random);
    const template = TEMPLATES[n % TEMPLATES.length] as (w: string, pkg: string) => string;
    queries.push({
      id: `question-${d.key}`,
      text: template(ws.join(" "), d.group),
      relevant: byText.get(d.name) ?? [d.key],
      kind: "question",
    });
  }
  return queries;
}
