/**
 * Search index build benchmark: build time (sequential / parallel), heap, query latency, on a
 * synthetic Zipf corpus (a few words very common, most rare, some identifiers and numbers).
 *
 *   npm run build
 *   node --expose-gc dist/bench/search-build.js --n 100000 --mode seq      # one run, JSON line
 *   node --expose-gc dist/bench/search-build.js --n 100000 --mode par --workers 1
 *   node dist/bench/search-build.js --compare /other/dist/src/search/api.js --n 100000
 *        # alternates runs of both libraries in child processes and prints side-by-side medians
 *   node dist/bench/search-build.js --check /other/dist/src/search/api.js --n 20000
 *        # builds both and compares every answer of a query set (same results expected)
 *
 *   node dist/bench/search-build.js --startup 100000 [--cli /other/dist/src/cli.js]
 *        # a store of that many entries; times a stdio server from spawn to initialize, to a
 *        # key lookup and to the first ranked query, then query p50
 *
 * `--lib <path>` benchmarks another compiled copy of the library (e.g. a checkout of an older
 * commit) with the same corpus.
 */

import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { Entry } from "../src/domain/entry.js";
import { writeSnapshot } from "../src/store/json/snapshot.js";
import { mulberry32 } from "./lib/random.js";

interface Doc {
  namespace: string;
  key: string;
  value: unknown;
  tags: string[];
  type: string;
  updatedAt: number;
  expiresAt?: number;
}
interface Index {
  size: number;
  termCount: number;
  search(req: unknown): { hits: { namespace: string; key: string; score: number }[]; hasMore: boolean };
}
interface Lib {
  SearchIndex: {
    build(docs: Doc[], options?: Record<string, unknown>): Promise<Index>;
  };
}

const args = process.argv.slice(2);
function arg(name: string, fallback: string): string {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && i + 1 < args.length ? (args[i + 1] as string) : fallback;
}

const ONSETS = "b c d f g h j k l m n p r s t v w z br cr dr gr pl st tr sh ch th".split(" ");
const VOWELS = "a e i o u ai ea ou io".split(" ");
const CODAS = ["", "n", "r", "l", "s", "t", "m", "x", "nd", "rk", "st", "ng"];
const VOCAB = 250_000;

/** The word of Zipf rank r: distinct pseudo-English syllables spelling r's digits. */
function word(r: number): string {
  let w = "";
  let x = r;
  do {
    const d = x % (ONSETS.length * VOWELS.length);
    x = Math.floor(x / (ONSETS.length * VOWELS.length));
    w += (ONSETS[d % ONSETS.length] as string) + (VOWELS[Math.floor(d / ONSETS.length)] as string);
  } while (x > 0);
  w += CODAS[r % CODAS.length] as string;
  return w.length < 4 ? `${w}ea` : w;
}

/** Zipf s=1 rank by inverse CDF of the continuous approximation. */
function zipfRank(rng: () => number): number {
  return Math.min(VOCAB - 1, Math.floor(Math.exp(rng() * Math.log(VOCAB + 1))) - 1);
}

const TAGS = Array.from({ length: 60 }, (_, i) => `tag${i}`);
const TYPES = ["episodic", "semantic", "procedural", "meta", "performance"];

function corpus(n: number): Doc[] {
  const docs: Doc[] = [];
  const now = 1_700_000_000_000;
  for (let i = 0; i < n; i++) {
    const rng = mulberry32(Math.imul(i + 1, 2654435761));
    const count = 30 + Math.floor(rng() * 20);
    const words: string[] = [];
    for (let w = 0; w < count; w++) words.push(word(zipfRank(rng)));
    if (rng() < 0.15) words.push(`${word(zipfRank(rng))}Service`, `v${Math.floor(rng() * 100)}.2`);
    if (rng() < 0.1) words.push(`retry_${word(zipfRank(rng))}`, String(Math.floor(rng() * 65536)));
    const text = words.join(" ");
    const tags = Array.from({ length: Math.floor(rng() * 3) }, () => TAGS[Math.floor(rng() * TAGS.length)]);
    docs.push({
      namespace: `ns${i % 5}`,
      key: `notes/${word(zipfRank(rng))}-${i}`,
      value: i % 2 === 0 ? text : { text, owner: word(Math.floor(rng() * 50)) },
      tags: [...new Set(tags as string[])],
      type: TYPES[i % TYPES.length] as string,
      updatedAt: now - i * 1000,
    });
  }
  return docs;
}

/** Two-word queries drawn like the corpus (realistic mix), plus typos. */
function queries(count: number): string[] {
  const rng = mulberry32(42);
  const out: string[] = [];
  for (let i = 0; i < count; i++) out.push(`${word(zipfRank(rng))} ${word(zipfRank(rng))}`);
  return out;
}

const NOW = 1_700_000_000_000 + 1;

function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))] as number;
}

function gc(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

async function runOne(lib: Lib): Promise<Record<string, number | string>> {
  const n = Number(arg("n", "100000"));
  const mode = arg("mode", "seq");
  const workers = arg("workers", "");
  const docs = corpus(n);
  gc();
  const heapBefore = process.memoryUsage().heapUsed;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const options: Record<string, unknown> =
    mode === "par" ? { parallel: true, cacheSize: 0 } : { cacheSize: 0 };
  if (workers !== "") options.workers = Number(workers);
  const index = await lib.SearchIndex.build(docs, options);
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  gc();
  const mem = process.memoryUsage();
  const heapMB = (mem.heapUsed - heapBefore) / 2 ** 20;
  const externalMB = mem.arrayBuffers / 2 ** 20;

  const qs = queries(400);
  const times: number[] = [];
  for (const text of qs) {
    const q0 = performance.now();
    index.search({ text, filter: { now: NOW }, limit: 10 });
    times.push(performance.now() - q0);
  }
  // Worst case: the two most frequent words.
  const worst: number[] = [];
  for (let i = 0; i < 20; i++) {
    const q0 = performance.now();
    index.search({ text: `${word(1 + (i % 3))} ${word(2 + (i % 4))}`, filter: { now: NOW }, limit: 10 });
    worst.push(performance.now() - q0);
  }
  return {
    n,
    mode,
    docs: index.size,
    terms: index.termCount,
    buildMs: Math.round(ms),
    cpuMs: Math.round((cpu.user + cpu.system) / 1000),
    usPerDoc: Math.round((ms * 1000) / n),
    heapMB: Math.round(heapMB),
    arrayBuffersMB: Math.round(externalMB),
    rssMB: Math.round(mem.rss / 2 ** 20),
    queryP50ms: Number(percentile(times, 0.5).toFixed(3)),
    queryP99ms: Number(percentile(times, 0.99).toFixed(3)),
    worstP50ms: Number(percentile(worst, 0.5).toFixed(3)),
  };
}

async function load(path: string): Promise<Lib> {
  return (await import(pathToFileURL(path).href)) as Lib;
}

const ownLib = fileURLToPath(new URL("../src/search/api.js", import.meta.url));

async function check(otherPath: string): Promise<void> {
  const n = Number(arg("n", "20000"));
  const docs = corpus(n);
  const [mine, other] = await Promise.all([load(ownLib), load(otherPath)]);
  const par = arg("mode", "seq") === "par";
  const a = await mine.SearchIndex.build(docs, par ? { parallel: true, workers: 1 } : {});
  const b = await other.SearchIndex.build(docs);
  let compared = 0;
  const texts = [...queries(300), "retry service", "v12", `${word(5)}Servce`, `${word(40)}x ${word(7)}`];
  for (const text of texts) {
    for (const mode of ["fulltext", "fuzzy", "hybrid"]) {
      for (const filter of [{ now: NOW }, { now: NOW, namespaces: ["ns1", "ns3"], tags: ["tag7"] }]) {
        const req = { text, mode, filter, limit: 20 };
        const x = JSON.stringify(a.search(req));
        const y = JSON.stringify(b.search(req));
        if (x !== y) throw new Error(`different answers for ${JSON.stringify(req)}:\n${x}\n${y}`);
        compared++;
      }
    }
  }
  console.log(`same answers for ${compared} requests (${a.size} docs, ${a.termCount} terms)`);
}

function compare(otherPath: string): void {
  const rounds = Number(arg("rounds", "3"));
  const passthrough = ["n", "mode", "workers"].flatMap((k) => {
    const v = arg(k, "");
    return v === "" ? [] : [`--${k}`, v];
  });
  const script = fileURLToPath(import.meta.url);
  const runs: Record<string, Record<string, number | string>[]> = { this: [], other: [] };
  for (let r = 0; r < rounds; r++) {
    for (const [name, lib] of [
      ["this", ownLib],
      ["other", otherPath],
    ] as const) {
      const out = spawnSync(process.execPath, ["--expose-gc", script, "--lib", lib, ...passthrough], {
        encoding: "utf8",
        maxBuffer: 1 << 24,
      });
      if (out.status !== 0) throw new Error(out.stderr);
      runs[name]?.push(JSON.parse(out.stdout.trim().split("\n").pop() as string));
    }
  }
  const median = (xs: number[]) => percentile(xs, 0.5);
  for (const [name, rs] of Object.entries(runs)) {
    const first = rs[0] as Record<string, number | string>;
    const summary: Record<string, number | string> = {};
    for (const k of Object.keys(first)) {
      summary[k] =
        typeof first[k] === "number" ? median(rs.map((r) => r[k] as number)) : (first[k] as string);
    }
    console.log(name.padEnd(6), JSON.stringify(summary));
  }
}

/** A project whose store holds the corpus (generation-1 snapshot). */
async function storeProject(n: number): Promise<string> {
  const dir = mkdtempSync(path.join(tmpdir(), "search-build-bench-"));
  mkdirSync(path.join(dir, "memory"), { recursive: true });
  writeFileSync(path.join(dir, "claude-flow.config.json"), "{}");
  const stamp = new Date(1_700_000_000_000).toISOString();
  function* entries(): Generator<Entry> {
    for (const [i, d] of corpus(n).entries()) {
      yield {
        id: `id-${i}`,
        key: d.key,
        namespace: d.namespace,
        value: d.value,
        type: d.type as Entry["type"],
        tags: d.tags,
        metadata: {},
        createdAt: stamp,
        updatedAt: stamp,
        version: 1,
      };
    }
  }
  await writeSnapshot(path.join(dir, "memory", "claude-flow-data.json"), 1, entries(), n, { fsync: false });
  writeFileSync(path.join(dir, "memory", "claude-flow-data.journal"), "");
  return dir;
}

/** Spawns `serve`, then times initialize, a key lookup, the first ranked query and later ones. */
async function startup(n: number, cli: string, dir: string): Promise<Record<string, number>> {
  const t0 = performance.now();
  const child = spawn(process.execPath, [cli, "serve"], { cwd: dir, stdio: ["pipe", "pipe", "inherit"] });
  const waiting = new Map<number, (reply: unknown) => void>();
  createInterface({ input: child.stdout }).on("line", (line) => {
    const msg = JSON.parse(line) as { id?: number };
    if (msg.id !== undefined) waiting.get(msg.id)?.(msg);
  });
  let id = 0;
  const request = (method: string, params: unknown) =>
    new Promise<unknown>((resolve) => {
      waiting.set(++id, resolve);
      child.stdin.write(`${JSON.stringify({ jsonrpc: "2.0", id, method, params })}\n`);
    });
  const tool = (name: string, args: unknown) => request("tools/call", { name, arguments: args });
  await request("initialize", {
    protocolVersion: "2025-06-18",
    capabilities: {},
    clientInfo: { name: "search-build-bench", version: "1" },
  });
  const initMs = performance.now() - t0;
  child.stdin.write(`${JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" })}\n`);
  const docs = corpus(3);
  await tool("memory_get", { key: docs[1]?.key, namespace: docs[1]?.namespace });
  const getMs = performance.now() - t0;
  await tool("memory_query", { query: `${word(30)} ${word(400)}`, limit: 10 });
  const firstQueryMs = performance.now() - t0;
  const times: number[] = [];
  for (const text of queries(100)) {
    const q0 = performance.now();
    await tool("memory_query", { query: text, limit: 10 });
    times.push(performance.now() - q0);
  }
  const status = readFileSync(`/proc/${child.pid}/status`, "utf8");
  const rssKb = (key: string) =>
    Number(/(\d+) kB/.exec(status.split("\n").find((l) => l.startsWith(key)) ?? "")?.[1]);
  child.stdin.end();
  await new Promise((r) => child.once("exit", r));
  return {
    n,
    initMs: Math.round(initMs),
    keyLookupMs: Math.round(getMs),
    firstQueryMs: Math.round(firstQueryMs),
    queryP50ms: Number(percentile(times, 0.5).toFixed(2)),
    rssMB: Math.round(rssKb("VmRSS:") / 1024),
    peakRssMB: Math.round(rssKb("VmHWM:") / 1024),
  };
}

const checkPath = arg("check", "");
const comparePath = arg("compare", "");
const startupN = Number(arg("startup", "0"));
if (checkPath !== "") await check(checkPath);
else if (comparePath !== "") compare(comparePath);
else if (startupN > 0) {
  const dir = await storeProject(startupN);
  try {
    const clis = [fileURLToPath(new URL("../src/cli.js", import.meta.url)), arg("cli", "")].filter(Boolean);
    for (let round = 0; round < Number(arg("rounds", "2")); round++) {
      for (const cli of clis) console.log(cli, JSON.stringify(await startup(startupN, cli, dir)));
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
} else console.log(JSON.stringify(await runOne(await load(arg("lib", ownLib)))));
