/**
 * The synthetic workload, identical for every server: N "entities" with a name, a type and a few
 * observation sentences. Words come from a 20,000-word pseudo-English vocabulary drawn with a Zipf
 * distribution (a few words are very common, most are rare), like real notes. Everything is a pure
 * function of the entity number, so any entity (and a query that matches it) can be regenerated
 * without keeping the corpus in memory.
 */
import type { Entry } from "../../src/domain/entry.js";
import { mulberry32 } from "./random.js";

export { mulberry32 };

const ONSETS = [
  "b",
  "c",
  "d",
  "f",
  "g",
  "h",
  "j",
  "k",
  "l",
  "m",
  "n",
  "p",
  "r",
  "s",
  "t",
  "v",
  "w",
  "z",
  "br",
  "cr",
  "dr",
  "gr",
  "pl",
  "st",
  "tr",
  "sh",
  "ch",
  "th",
];
const VOWELS = ["a", "e", "i", "o", "u", "ai", "ea", "ou", "io"];
const CODAS = ["", "", "n", "r", "l", "s", "t", "m", "x", "nd", "rk", "st"];

const VOCAB_SIZE = 20_000;
const ZIPF_S = 1.0;
/** Quantized inverse CDF: a uniform draw picks a word in O(1). */
const TABLE_BITS = 18;

function buildVocabulary(): string[] {
  const rng = mulberry32(0x5eed);
  const seen = new Set<string>();
  const words: string[] = [];
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rng() * xs.length)] as T;
  while (words.length < VOCAB_SIZE) {
    const syllables = 2 + Math.floor(rng() * 2);
    let w = "";
    for (let s = 0; s < syllables; s++)
      w += pick(ONSETS) + pick(VOWELS) + (s === syllables - 1 ? pick(CODAS) : "");
    if (w.length < 4 || seen.has(w)) continue;
    seen.add(w);
    words.push(w);
  }
  return words;
}

export const VOCABULARY: readonly string[] = buildVocabulary();

const ZIPF_TABLE: Uint16Array = (() => {
  const weights = new Float64Array(VOCAB_SIZE);
  let total = 0;
  for (let r = 0; r < VOCAB_SIZE; r++) {
    weights[r] = 1 / (r + 1) ** ZIPF_S;
    total += weights[r] as number;
  }
  const size = 1 << TABLE_BITS;
  const table = new Uint16Array(size);
  let acc = 0;
  let word = 0;
  for (let i = 0; i < size; i++) {
    const u = (i + 0.5) / size;
    while (word < VOCAB_SIZE - 1 && acc + (weights[word] as number) / total < u) {
      acc += (weights[word] as number) / total;
      word++;
    }
    table[i] = word;
  }
  return table;
})();

function zipfWord(rng: () => number): string {
  return VOCABULARY[ZIPF_TABLE[Math.floor(rng() * (1 << TABLE_BITS))] as number] as string;
}

export const ENTITY_TYPES = [
  "person",
  "project",
  "decision",
  "task",
  "service",
  "meeting",
  "incident",
  "document",
];

export interface Entity {
  name: string;
  entityType: string;
  observations: string[];
}

export function entityName(i: number): string {
  return `entity-${String(i).padStart(7, "0")}`;
}

function seedOf(i: number, salt: number): number {
  return (Math.imul(i + 1, 2654435761) ^ salt) >>> 0;
}

/** Entity number `i`: a name, a type and 2-3 sentences of 5-9 words. */
export function entity(i: number, salt = 0x0b5e): Entity {
  const rng = mulberry32(seedOf(i, salt));
  const entityType = ENTITY_TYPES[Math.floor(rng() * ENTITY_TYPES.length)] as string;
  const sentences = 2 + Math.floor(rng() * 2);
  const observations: string[] = [];
  for (let s = 0; s < sentences; s++) {
    const n = 5 + Math.floor(rng() * 5);
    const words: string[] = [];
    for (let w = 0; w < n; w++) words.push(zipfWord(rng));
    observations.push(words.join(" "));
  }
  return { name: entityName(i), entityType, observations };
}

const BASE_TIME = Date.parse("2025-01-01T00:00:00.000Z");

/** The same entity as one of our entries: key = name, value = observations, tags = [entityType]. */
export function entryOf(i: number, namespace = "default"): Entry {
  const e = entity(i);
  const stamp = new Date(BASE_TIME + i * 1000).toISOString();
  return {
    id: `00000000-0000-4000-8000-${i.toString(16).padStart(12, "0")}`,
    key: e.name,
    namespace,
    value: e.observations,
    type: "semantic",
    tags: [e.entityType],
    metadata: {},
    createdAt: stamp,
    updatedAt: stamp,
    version: 1,
  };
}

/** The same entity as a line of the official memory server's JSONL file. */
export function peerLineOf(i: number): string {
  const e = entity(i);
  return JSON.stringify({
    type: "entity",
    name: e.name,
    entityType: e.entityType,
    observations: e.observations,
  });
}

/**
 * A query stream: two adjacent words from a random stored entity, so every query has at least one
 * match in both servers (the peer matches the query as one substring). No query repeats, so no
 * answer comes from a result cache.
 */
export class Queries {
  private readonly rng: () => number;
  private readonly used = new Set<string>();
  constructor(
    private readonly n: number,
    seed: number,
  ) {
    this.rng = mulberry32(seed);
  }

  text(): string {
    for (;;) {
      const e = entity(Math.floor(this.rng() * this.n));
      const sentence = e.observations[Math.floor(this.rng() * e.observations.length)] as string;
      const words = sentence.split(" ");
      const k = Math.floor(this.rng() * (words.length - 1));
      const q = `${words[k]} ${words[k + 1]}`;
      if (words[k] === words[k + 1] || this.used.has(q)) continue;
      this.used.add(q);
      return q;
    }
  }

  existingName(): string {
    return entityName(Math.floor(this.rng() * this.n));
  }

  /** Fresh observation text for a store. */
  sentence(words = 8): string {
    const out: string[] = [];
    for (let w = 0; w < words; w++) out.push(zipfWord(this.rng));
    return out.join(" ");
  }
}
