/**
 * Search latency and index build time at scale: `npm run build && node dist/bench/eval/latency.js
 * [--entries 100000] [--samples 400]`.
 *
 * Entries: seeded synthetic notes whose words are drawn with a Zipf distribution from the real
 * vocabulary of the evaluation corpus (Node.js API docs) ordered by its real frequency, 15-60
 * words each, with code-like keys and a few tags. Queries: two content words drawn the same way. Measures:
 * - index build at load: `MemoryBank.open` of the stored data with batchtools.parallelIndexing
 *   off and on, and `SearchIndex.build` alone, sequential and parallel;
 * - query p50/p95: two-word query, limit 10, every sample a different word pair (so the result
 *   cache does not answer), in-process (`MemoryBank.query`) and over stdio (SDK client → the
 *   built server, `memory_query`); plus the cached repeat in-process.
 * Appends nothing to tests: it is a benchmark. Prints a Markdown table.
 */
import { mkdtempSync, rmSync } from "node:fs";
import os, { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { resolveConfig } from "../../src/config/config.js";
import { DEFAULT_STOP_WORDS, SearchIndex } from "../../src/search/api.js";
import { MemoryBank } from "../../src/service/bank.js";
import { toSearchDoc } from "../../src/service/index-sync.js";
import { buildCorpus } from "./corpus.js";
import { rng } from "./queries.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
const CLI = path.join(ROOT, "dist", "src", "cli.js");

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] as number;
}

const ms = (x: number) => `${x.toFixed(3)} ms`;

async function main(): Promise<void> {
  const entries = arg("entries", 100_000);
  const samples = arg("samples", 400);
  const random = rng(42);
  // The corpus vocabulary ordered by real frequency, so Zipf rank 1 is "the", as in English text.
  const counts = new Map<string, number>();
  for (const d of buildCorpus(ROOT)) {
    for (const w of d.text.toLowerCase().match(/[a-z]{2,}/g) ?? []) counts.set(w, (counts.get(w) ?? 0) + 1);
  }
  const vocab = [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).map(([w]) => w);
  const stop = new Set(DEFAULT_STOP_WORDS);
  // Zipf(1): rank r drawn with probability ∝ 1/r, by inverting the harmonic CDF approximately.
  const zipf = () =>
    vocab[Math.min(vocab.length - 1, Math.floor(Math.exp(random() * Math.log(vocab.length))) - 1)] as string;
  const word = () => vocab[Math.floor(random() * vocab.length)] as string;
  const note = () => Array.from({ length: 15 + Math.floor(random() * 45) }, zipf).join(" ");
  const tags = ["infra", "auth", "db", "ops", "web", "ml", "docs", "team"];

  const dir = mkdtempSync(path.join(tmpdir(), "memory-bank-latency-"));
  const config = (parallelIndexing: boolean) =>
    resolveConfig({ memory: { store: { fsync: false }, batchtools: { parallelIndexing } } }, dir);
  process.stderr.write(`storing ${entries} entries in ${dir} ...\n`);
  {
    const bank = await MemoryBank.open(config(false), { log: () => {} });
    const chunk = 5000;
    for (let i = 0; i < entries; i += chunk) {
      const batch = Array.from({ length: Math.min(chunk, entries - i) }, (_, j) => ({
        key: `${word()}/${word()}${(i + j).toString(36)}`,
        value: { summary: note(), detail: random() < 0.3 ? note() : undefined },
        tags: [tags[(i + j) % tags.length] as string],
      }));
      const r = await bank.batchStore({ entries: batch });
      if (r.failed) throw new Error(JSON.stringify(r.errors.slice(0, 2)));
    }
    await bank.compact("benchmark");
    await bank.close();
  }

  const rows: string[] = [];
  // Index build at load, through MemoryBank.open (store load + index build).
  for (const parallel of [false, true]) {
    const t0 = performance.now();
    const bank = await MemoryBank.open(config(parallel), { log: () => {} });
    await bank.indexReady();
    const t1 = performance.now();
    rows.push(
      `| MemoryBank.open, parallelIndexing ${parallel ? "on" : "off"} (store load + index build) | ${ms(t1 - t0)} |`,
    );
    if (!parallel) {
      const docs = [...bank.read().all()].map((e) => toSearchDoc(e));
      for (const par of [false, true]) {
        const b0 = performance.now();
        await SearchIndex.build(docs, { parallel: par });
        rows.push(
          `| SearchIndex.build alone, ${par ? "parallel (worker threads)" : "sequential"} | ${ms(performance.now() - b0)} |`,
        );
      }
    }
    await bank.close();
  }

  // Query latency in-process.
  const bank = await MemoryBank.open(config(true), { log: () => {} });
  // An agent's two-word query: two content words (no stop words), drawn with the same Zipf law.
  const content = () => {
    for (;;) {
      const w = zipf();
      if (!stop.has(w)) return w;
    }
  };
  const pairs = Array.from({ length: samples }, () => `${content()} ${content()}`);
  for (let i = 0; i < 20; i++) bank.querySync({ query: `${content()} ${content()}`, limit: 10 }); // warm-up
  const inproc: number[] = [];
  let found = 0;
  for (const q of pairs) {
    const t0 = performance.now();
    const r = bank.querySync({ query: q, limit: 10 });
    inproc.push(performance.now() - t0);
    if (r.results.length) found++;
  }
  const cached: number[] = [];
  for (const q of pairs.slice(0, 100)) {
    const t0 = performance.now();
    bank.querySync({ query: q, limit: 10 });
    cached.push(performance.now() - t0);
  }
  await bank.close();

  // Over stdio: the built server, driven by the SDK client.
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [CLI, "serve"],
    cwd: dir,
    env: { PATH: process.env.PATH ?? "" },
    stderr: "inherit",
  });
  const client = new Client({ name: "latency", version: "1.0.0" });
  const c0 = performance.now();
  await client.connect(transport);
  const connectMs = performance.now() - c0;
  for (let i = 0; i < 20; i++)
    await client.callTool({
      name: "memory_query",
      arguments: { query: `${content()} ${content()}`, limit: 10 },
    });
  const stdio: number[] = [];
  for (const q of pairs) {
    const t0 = performance.now();
    await client.callTool({ name: "memory_query", arguments: { query: q, limit: 10 } });
    stdio.push(performance.now() - t0);
  }
  await client.close();
  rmSync(dir, { recursive: true, force: true });

  const table = [
    `Latency at ${entries} entries (${samples} two-word queries, limit 10, two content words each, a different pair per sample; ${found} had results), Node ${process.version}, ${os.cpus().length} cores (${os.cpus()[0]?.model ?? "?"})`,
    "",
    "| measurement | value |",
    "| --- | ---: |",
    `| query p50 in-process (MemoryBank.query) | ${ms(percentile(inproc, 50))} |`,
    `| query p95 in-process | ${ms(percentile(inproc, 95))} |`,
    `| query p50 in-process, repeated (result cache) | ${ms(percentile(cached, 50))} |`,
    `| query p50 over stdio (SDK client → server, memory_query) | ${ms(percentile(stdio, 50))} |`,
    `| query p95 over stdio | ${ms(percentile(stdio, 95))} |`,
    `| server start + MCP handshake (includes load) | ${ms(connectMs)} |`,
    ...rows,
  ].join("\n");
  process.stdout.write(`${table}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
