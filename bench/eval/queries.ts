/**
 * Queries with known answers, generated deterministically from the corpus, plus hand-written
 * ones, plus typo'd copies of all of them.
 *
 * Generated queries are paraphrases, never spans of the document:
 * - "name" questions describe an API the way an agent remembers it: its identifier split into
 *   words and inflected ("how do I create read streams in fs" for `fs.createReadStream`);
 * - "gist" questions take the three rarest content words of the first sentence, change the
 *   inflection of some (reads → read, directory → directories, created → create), reorder them
 *   and wrap them in a question.
 * Typos: seeded random edits (substitute, delete, transpose, insert), one per word of 5+
 * letters with probability 0.5, at least one per query.
 */
import { mulberry32 } from "../lib/random.js";
import type { EvalDoc } from "./corpus.js";

/** The evaluation's seeded random source. */
export const rng = mulberry32;

export interface EvalQuery {
  id: string;
  text: string;
  /** Keys that count as a correct answer. */
  relevant: string[];
  /** How it was made: "hand" (written by a person), or the name of its generator. */
  kind: string;
}

export const STOP = new Set(
  "a an the of to in on for and or is are be by with as at from that this which it its if not no can will when then than into each any all returns return value values default since param object objects function method string number true false undefined null used using use given new also only may must should".split(
    " ",
  ),
);

export function words(s: string): string[] {
  return s.toLowerCase().match(/[a-z]+/g) ?? [];
}

/** A different inflection of the same word (a real-looking word form, not a stem): plural ↔ singular, past/-ing → base. */
export function inflect(w: string): string {
  if (/\d/.test(w) || w.length < 4) return w;
  if (w.endsWith("ies") && w.length > 4) return `${w.slice(0, -3)}y`;
  if (/(ss|x|ch|sh)es$/.test(w)) return w.slice(0, -2);
  if (w.endsWith("s") && !/(ss|us|is)$/.test(w)) return w.slice(0, -1);
  if (w.endsWith("ing") && w.length > 6) {
    const base = w.slice(0, -3);
    return /(at|iz|is|v|c|g|u|ur|bl)$/.test(base) ? `${base}e` : base.replace(/([^aeiou])\1$/, "$1");
  }
  if (w.endsWith("ed") && w.length > 5) {
    if (w.endsWith("ied")) return `${w.slice(0, -3)}y`;
    return /(at|iz|is|v|c|g|u|ur|bl|s)ed$/.test(w)
      ? w.slice(0, -1)
      : w.slice(0, -2).replace(/([^aeiou])\1$/, "$1");
  }
  if (w.endsWith("y") && !/[aeiou]y$/.test(w)) return `${w.slice(0, -1)}ies`;
  if (/(s|x|ch|sh)$/.test(w)) return `${w}es`;
  return `${w}s`;
}

/** `createReadStream` → ["create", "read", "stream"]; `Buffer.readUIntLE` → ["read", "uint", "le"]. */
function identifierWords(name: string): string[] {
  const last = name.split(".").pop() ?? name;
  return last
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .replace(/([A-Z]+)([A-Z][a-z])/g, "$1 $2")
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
}

const NAME_TEMPLATES = [
  (w: string, g: string) => `how do I ${w} in ${g}`,
  (w: string, g: string) => `${g} api for ${w}`,
  (w: string, g: string) => `what does ${w} do (${g})`,
  (w: string, g: string) => `where is the ${w} documented in ${g}`,
];
const GIST_TEMPLATES = [
  (w: string) => `which api ${w}`,
  (w: string) => `how to ${w}`,
  (w: string) => `${w}?`,
  (w: string) => `docs about ${w}`,
];

/** Hand-written questions in an agent's words, with their accepted answers. */
const HAND: Array<[string, string[]]> = [
  [
    "how do I read a whole file into memory",
    ["node/fs/readFile", "node/fs/readFile.__promisify__", "node/fs/readFileSync"],
  ],
  [
    "make a unique temporary folder",
    ["node/fs/mkdtemp", "node/fs/mkdtempSync", "node/fs/mkdtemp.__promisify__"],
  ],
  [
    "get notified when a file changes on disk",
    ["node/fs/watch", "node/fs/watchFile", "node/fs/WatchFileOptions"],
  ],
  [
    "delete a directory tree recursively",
    ["node/fs/rm", "node/fs/rmSync", "node/fs/RmOptions.recursive", "node/fs/rm.__promisify__"],
  ],
  ["generate a random uuid", ["node/crypto/randomUUID"]],
  ["compute a sha256 digest of some data", ["node/crypto/createHash"]],
  ["derive a key from a password with scrypt", ["node/crypto/scrypt", "node/crypto/scryptSync"]],
  ["compare two secrets without leaking timing", ["node/crypto/timingSafeEqual"]],
  [
    "create an rsa public private key pair",
    ["node/crypto/generateKeyPair", "node/crypto/generateKeyPairSync"],
  ],
  ["run a shell command and capture its output", ["node/child_process/exec", "node/child_process/execSync"]],
  ["start a child process with arguments", ["node/child_process/spawn", "node/child_process/spawnSync"]],
  ["how many cpu cores does the machine have", ["node/os/cpus", "node/os/availableParallelism"]],
  ["where should temporary files go", ["node/os/tmpdir"]],
  ["home directory of the current user", ["node/os/homedir"]],
  ["turn a file url into a path", ["node/url/fileURLToPath"]],
  ["resolve a hostname to an ip address", ["node/dns/lookup", "node/dns/promises/lookup"]],
  ["open a tcp server", ["node/net/createServer"]],
  ["start an http server", ["node/http/createServer", "node/https/createServer"]],
  [
    "read user input line by line from stdin",
    ["node/readline/createInterface", "node/readline/promises/createInterface"],
  ],
  [
    "chain streams and handle errors and cleanup",
    ["node/stream/Stream.pipeline", "node/stream/promises/pipeline"],
  ],
  ["convert a callback style function to promises", ["node/util/promisify"]],
  ["pretty print an object for debugging", ["node/util/inspect"]],
  ["wait for an event to be emitted once", ["node/events/EventEmitter.once"]],
  ["copy a file to another location", ["node/fs/copyFile", "node/fs/copyFileSync", "node/fs/cp"]],
  ["rename or move a file", ["node/fs/rename", "node/fs/renameSync", "node/fs/rename.__promisify__"]],
  [
    "append text to the end of a log file",
    ["node/fs/appendFile", "node/fs/appendFileSync", "node/fs/appendFile.__promisify__"],
  ],
  [
    "high resolution timestamp for measuring durations",
    ["node/perf_hooks/Performance.now", "node/process/Process.hrtime"],
  ],
  [
    "how much memory is the process using",
    ["node/process/NodeJS.MemoryUsageFn.rss", "node/process/NodeJS.MemoryUsage.rss"],
  ],
  ["compress data with gzip", ["node/zlib/gzipSync", "node/zlib/createGzip"]],
  ["schedule a callback after a delay", ["node/timers/setTimeout", "node/timers/promises/setTimeout"]],
  ["parse command line flags", ["node/util/parseArgs"]],
  ["mark a function as deprecated with a warning", ["node/util/deprecate"]],
  [
    "check two objects are deeply equal in a test",
    ["node/assert/assert.deepStrictEqual", "node/assert/assert.deepEqual"],
  ],
  [
    "run javascript code in a sandboxed context",
    ["node/vm/runInNewContext", "node/vm/createContext", "node/vm/runInContext"],
  ],
  [
    "send a message to a worker thread",
    ["node/worker_threads/Worker.postMessage", "node/worker_threads/MessageChannel"],
  ],
  ["make a symbolic link", ["node/fs/symlink", "node/fs/symlinkSync", "node/fs/symlink.__promisify__"]],
];

export function buildQueries(docs: EvalDoc[], target = 240, seed = 20240531): EvalQuery[] {
  const byKey = new Map(docs.map((d) => [d.key, d]));
  // Documents with identical text are interchangeable answers (overloads, re-exports).
  const byText = new Map<string, string[]>();
  for (const d of docs) byText.set(d.text, [...(byText.get(d.text) ?? []), d.key]);
  const df = documentFrequencies(docs.map((d) => `${d.name} ${d.text}`));

  const queries: EvalQuery[] = [];
  for (const [text, relevant] of HAND) {
    const present = relevant.filter((k) => byKey.has(k));
    if (present.length === 0)
      throw new Error(`hand-written query "${text}": none of its answers is in the corpus`);
    queries.push({ id: `hand-${queries.length}`, text, relevant: present, kind: "hand" });
  }

  const random = rng(seed);
  const candidates = docs.filter((d) => {
    const first = firstSentence(d.text);
    return (
      !d.key.endsWith(".__promisify__") &&
      identifierWords(d.name).some((w) => w.length >= 4) &&
      words(first).filter((w) => w.length >= 4 && !STOP.has(w)).length >= 3
    );
  });
  // A deterministic shuffle, then every document at most once.
  const order = candidates.map((d) => ({ d, r: random() })).sort((a, b) => a.r - b.r);
  let n = 0;
  for (const { d } of order) {
    if (queries.length >= target + HAND.length) break;
    const relevant = byText.get(d.text) ?? [d.key];
    const group = d.group.replace(/[/_]/g, " ");
    let text: string;
    let kind: string;
    if (n % 2 === 0) {
      // The leading verb stays (create, read, get); the nouns after it change number.
      const ws = identifierWords(d.name).map((w, i) => (i > 0 ? inflect(w) : w));
      text = (NAME_TEMPLATES[(n >> 1) % NAME_TEMPLATES.length] as (w: string, g: string) => string)(
        ws.join(" "),
        group,
      );
      kind = "name";
    } else {
      const ws = reword(rarestWords(firstSentence(d.text), df, 3), random);
      text = (GIST_TEMPLATES[(n >> 1) % GIST_TEMPLATES.length] as (w: string) => string)(ws.join(" "));
      kind = "gist";
    }
    queries.push({ id: `${kind}-${d.key}`, text, relevant, kind });
    n++;
  }
  return queries;
}

export function firstSentence(text: string): string {
  const prose = text.replace(/```[\s\S]*?```/g, " ").replace(/`[^`]*`/g, " ");
  const m = /^[\s\S]*?[.!?](\s|$)/.exec(prose);
  return (m ? m[0] : prose).slice(0, 300);
}

const KEYBOARD = "qwertyuiopasdfghjklzxcvbnm";

/** A copy of `text` with seeded typos: one edit in about half the words of 5+ letters, at least one. */
export function withTypos(text: string, random: () => number): string {
  const parts = text.split(/(\s+)/);
  const eligible = parts.map((p, i) => (/^[a-z]{5,}$/i.test(p) ? i : -1)).filter((i) => i >= 0);
  if (eligible.length === 0) return text;
  const chosen = new Set(eligible.filter(() => random() < 0.5));
  if (chosen.size === 0) chosen.add(eligible[Math.floor(random() * eligible.length)] as number);
  for (const i of chosen) {
    const w = parts[i] as string;
    const at = 1 + Math.floor(random() * (w.length - 2)); // keep the first letter
    const op = Math.floor(random() * 4);
    const letter = KEYBOARD[Math.floor(random() * KEYBOARD.length)] as string;
    parts[i] =
      op === 0
        ? w.slice(0, at) + letter + w.slice(at + 1)
        : op === 1
          ? w.slice(0, at) + w.slice(at + 1)
          : op === 2
            ? w.slice(0, at) + (w[at + 1] ?? "") + (w[at] ?? "") + w.slice(at + 2)
            : w.slice(0, at) + letter + w.slice(at);
  }
  return parts.join("");
}

/**
 * The fixed split: a query is in the held-out half when the FNV-1a hash of its id is odd. Tuning
 * looks at the other half only (`npm run eval -- --tune`); the typo'd copy of a query is in the
 * same half as its clean original.
 */
export function half(id: string): "tune" | "held-out" {
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 0x01000193);
  return (h >>> 0) & 1 ? "held-out" : "tune";
}

/** The rarest distinct content words of `text` (4+ letters, no stop words), rarest first, ties by word. */
export function rarestWords(text: string, df: ReadonlyMap<string, number>, n: number): string[] {
  const content = [...new Set(words(text).filter((w) => w.length >= 4 && !STOP.has(w)))];
  return content.sort((a, b) => (df.get(a) ?? 0) - (df.get(b) ?? 0) || (a < b ? -1 : 1)).slice(0, n);
}

/**
 * The rarest content word of `text` and `n - 1` others drawn at random: one word that tells the
 * document apart, the rest the ordinary words a description is made of.
 */
export function rareAndOrdinaryWords(
  text: string,
  df: ReadonlyMap<string, number>,
  n: number,
  random: () => number,
): string[] {
  const [rarest, ...others] = rarestWords(text, df, Number.POSITIVE_INFINITY);
  if (rarest === undefined) return [];
  const picked = others
    .map((w) => ({ w, r: random() }))
    .sort((a, b) => a.r - b.r)
    .slice(0, n - 1)
    .map((x) => x.w);
  return [rarest, ...picked];
}

/** Shuffles `ws` and changes the form of each with probability 1/2, at least one: the gist of a text, reworded. */
export function reword(ws: readonly string[], random: () => number): string[] {
  const shuffled = ws.map((w) => ({ w, r: random() })).sort((a, b) => a.r - b.r);
  const change = shuffled.map(() => random() < 0.5);
  if (!change.includes(true)) change[Math.floor(random() * change.length)] = true;
  return shuffled.map(({ w }, i) => (change[i] ? inflect(w) : w));
}

/** Document frequency of every word over `texts`. */
export function documentFrequencies(texts: Iterable<string>): Map<string, number> {
  const df = new Map<string, number>();
  for (const t of texts) for (const w of new Set(words(t))) df.set(w, (df.get(w) ?? 0) + 1);
  return df;
}
