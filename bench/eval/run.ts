/**
 * Retrieval evaluation: `npm run eval`.
 *
 * Corpus: every documented Node.js API in node_modules/@types/node (see corpus.ts), stored in a
 * real MemoryBank (temp dir) as key = API path, value = its documentation, tag = module.
 * Queries: hand-written questions plus generated paraphrases with known answers (queries.ts),
 * each also in a typo'd copy. Reports recall@5 and MRR@10 of every mode through
 * MemoryBank.query / MemoryBank.search, and of a plain BM25 baseline (baseline.ts), printed and
 * written to bench/eval/RESULTS.md.
 *
 * Semantic rows use the deterministic local embedding server (embed-server.ts: hashed bags of
 * stemmed words and trigrams on 127.0.0.1), not a language model: they show the semantic code
 * path end to end, not what a real embedding model would score.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { resolveConfig } from "../../src/config.js";
import { MemoryBank } from "../../src/memory.js";
import { PlainBm25 } from "./baseline.js";
import { buildCorpus, type EvalDoc } from "./corpus.js";
import { startEmbeddingServer } from "./embed-server.js";
import { buildQueries, type EvalQuery, rng, withTypos } from "./queries.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
const OUT = path.join(ROOT, "bench", "eval", "RESULTS.md");

interface Scores {
  recall5: number;
  mrr10: number;
}

function score(queries: readonly EvalQuery[], answers: readonly string[][]): Scores {
  let hits = 0;
  let rr = 0;
  queries.forEach((q, i) => {
    const got = answers[i] ?? [];
    const rank = got.slice(0, 10).findIndex((k) => q.relevant.includes(k));
    if (rank >= 0 && rank < 5) hits++;
    if (rank >= 0) rr += 1 / (rank + 1);
  });
  return { recall5: hits / queries.length, mrr10: rr / queries.length };
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

async function answersOf(
  queries: readonly EvalQuery[],
  ask: (text: string) => Promise<string[]> | string[],
): Promise<string[][]> {
  const out: string[][] = [];
  for (const q of queries) out.push(await ask(q.text));
  return out;
}

const pct = (x: number) => (100 * x).toFixed(1);

async function main(): Promise<void> {
  const started = performance.now();
  const docs = buildCorpus(ROOT);
  const clean = buildQueries(docs);
  const random = rng(99);
  const typod = clean.map((q) => ({ ...q, text: withTypos(q.text, random) }));
  const sets: Array<[string, EvalQuery[]]> = [
    ["clean", clean],
    ["typo'd", typod],
  ];
  process.stderr.write(
    `corpus: ${docs.length} documents; queries: ${clean.length} clean + ${typod.length} typo'd\n`,
  );

  const rows: Array<{
    name: string;
    note?: string;
    results: Record<string, Scores>;
    byKind?: Record<string, Scores>;
  }> = [];

  const baseline = new PlainBm25(docs.map((d) => ({ key: d.key, text: d.text })));
  const baseRow: (typeof rows)[number] = { name: "plain BM25 (baseline)", results: {} };
  for (const [label, qs] of sets)
    baseRow.results[label] = score(qs, await answersOf(qs, (t) => baseline.search(t, 10)));
  rows.push(baseRow);

  const text = await openBank(docs);
  for (const mode of ["fulltext", "fuzzy", "hybrid"] as const) {
    const row: (typeof rows)[number] = { name: mode, results: {} };
    for (const [label, qs] of sets) {
      const answers = await answersOf(qs, (t) =>
        text.bank.query({ query: t, mode, limit: 10 }).results.map((r) => r.key),
      );
      row.results[label] = score(qs, answers);
    }
    rows.push(row);
  }
  await text.close();

  const server = await startEmbeddingServer({ provider: "openai-compatible" });
  const sem = await openBank(docs, {
    enabled: true,
    url: server.url,
    model: "hashed-bag-of-words",
    batchSize: 64,
  });
  for (const mode of ["semantic", "hybrid"] as const) {
    const row: (typeof rows)[number] = {
      name: mode === "semantic" ? "semantic †" : "hybrid + semantic †",
      results: {},
    };
    for (const [label, qs] of sets) {
      const answers = await answersOf(qs, async (t) =>
        (await sem.bank.search({ query: t, mode, limit: 10 })).results.map((r) => r.key),
      );
      row.results[label] = score(qs, answers);
    }
    rows.push(row);
  }
  await sem.close();
  await server.close();

  // Per query kind, for the two rows the acceptance criterion compares.
  const kinds = ["hand", "name", "gist"] as const;
  const kindLines: string[] = [];
  for (const [label, qs] of sets) {
    for (const kind of kinds) {
      const subset = qs.filter((q) => q.kind === kind);
      const base = score(subset, await answersOf(subset, (t) => baseline.search(t, 10)));
      const kindText = await openBankCached(docs);
      const hyb = score(
        subset,
        await answersOf(subset, (t) => kindText.query({ query: t, limit: 10 }).results.map((r) => r.key)),
      );
      kindLines.push(
        `| ${label} | ${kind} | ${subset.length} | ${pct(base.recall5)} | ${pct(hyb.recall5)} | ${pct(base.mrr10)} | ${pct(hyb.mrr10)} |`,
      );
    }
  }
  await closeCached();

  const header = "| mode | recall@5 clean | MRR@10 clean | recall@5 typo'd | MRR@10 typo'd |";
  const table = [
    header,
    "| --- | ---: | ---: | ---: | ---: |",
    ...rows.map((r) => {
      const c = r.results.clean as Scores;
      const t = r.results["typo'd"] as Scores;
      return `| ${r.name} | ${pct(c.recall5)} | ${pct(c.mrr10)} | ${pct(t.recall5)} | ${pct(t.mrr10)} |`;
    }),
  ].join("\n");
  const kindTable = [
    "| queries | kind | n | BM25 recall@5 | hybrid recall@5 | BM25 MRR@10 | hybrid MRR@10 |",
    "| --- | --- | ---: | ---: | ---: | ---: | ---: |",
    ...kindLines,
  ].join("\n");
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  const md = `# Retrieval evaluation

Generated by \`npm run eval\` (bench/eval/run.ts) in ${seconds} s on Node ${process.version}.

- **Corpus**: ${docs.length} documents, every documented API of Node.js in \`node_modules/@types/node\`
  (one JSDoc block per document; key = \`node/<module>/<qualified name>\`, value = the documentation,
  tag = the module), built deterministically at eval time, stored in a real MemoryBank.
- **Queries**: ${clean.length} with known answers: ${clean.filter((q) => q.kind === "hand").length} hand-written questions,
  ${clean.filter((q) => q.kind === "name").length} generated from API names ("how do I create read streams in fs") and
  ${clean.filter((q) => q.kind === "gist").length} from the three rarest words of each description's first sentence, some
  with their inflection changed (reads → read, directory → directories), in shuffled order. Typo'd: a copy of every query with seeded random edits (substitution,
  deletion, transposition, insertion) in about half of its words of 5+ letters, at least one.
- **Metrics**: recall@5 (a correct answer in the top 5) and MRR@10, in percent.
- **Baseline**: plain BM25 (k1 1.2, b 0.75) over one field (key + text), lower-cased
  alphanumeric terms, no stemming, no identifier splitting, no fuzzy matching.

${table}

† Semantic rows use the deterministic local embedding server started by the evaluation
(bench/eval/embed-server.ts: hashed bag of stemmed words plus character trigrams, 256
dimensions, on 127.0.0.1), not a language model. They exercise the whole semantic path
(client over HTTP, batched embedding, vectors, cosine ranking, fusion into hybrid); a real
embedding model would rank differently.

Hybrid (the default mode, embeddings off) against the baseline, by query kind:

${kindTable}
`;
  writeFileSync(OUT, md);
  process.stdout.write(
    `${table}\n\n${kindTable}\n\nwritten to ${path.relative(process.cwd(), OUT)} (${seconds} s)\n`,
  );
}

let cached: Awaited<ReturnType<typeof openBank>> | undefined;
async function openBankCached(docs: readonly EvalDoc[]): Promise<MemoryBank> {
  cached ??= await openBank(docs);
  return cached.bank;
}
async function closeCached(): Promise<void> {
  await cached?.close();
  cached = undefined;
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
