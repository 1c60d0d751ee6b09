/**
 * In-process measurements in their own process (so RSS is the store's alone): load time of the store,
 * load + index time of MemoryBank, RSS, and store / exact-key / text-query latency calling
 * MemoryBank directly. Prints one JSON object on stdout.
 *
 *   node dist/bench/child/inproc.js '{"dir":"...","n":100000,"samples":200}'
 */
import { loadConfig } from "../../src/config/config.js";
import { MemoryBank } from "../../src/service/bank.js";
import { JsonStore } from "../../src/store/json/json-store.js";
import { Queries } from "../lib/corpus.js";
import { sample } from "../lib/stats.js";

interface Args {
  dir: string;
  n: number;
  samples: number;
}

const args = JSON.parse(process.argv[2] ?? "{}") as Args;
const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});
const silent = () => {};

const loaded = loadConfig({ cwd: args.dir });

// 1. The store alone: read + parse the snapshot, replay the journal.
gc();
let t = performance.now();
{
  const store = new JsonStore({ dataPath: loaded.dataPath, log: silent });
  await store.open();
  if (store.size !== args.n) throw new Error(`store holds ${store.size} entries, expected ${args.n}`);
}
const loadMs = performance.now() - t;
gc();
const baseRss = process.memoryUsage().rss;

// 2. The whole service: open answers once the store is loaded; the search index builds in the
// background, and the calls below are timed only once it is ready.
t = performance.now();
const bank = await MemoryBank.open(loaded, { log: silent });
const openMs = performance.now() - t;
await bank.indexReady();
const indexMs = performance.now() - t;
gc();
const mem = process.memoryUsage();

const q = new Queries(args.n, 0xc0ffee);
const store = await sample(args.samples, (i) =>
  bank.storeEntry({ key: `bench/new-${i}`, value: [q.sentence()], tags: ["bench"] }),
);
const exact = await sample(args.samples, () => {
  const r = bank.querySync({ key: q.existingName() });
  if (r.results.length !== 1) throw new Error("exact-key query found nothing");
});
const text = await sample(args.samples, () => bank.querySync({ query: q.text(), limit: 10 }));

process.stdout.write(
  `${JSON.stringify({ loadMs, openMs, indexMs, rss: mem.rss, heapUsed: mem.heapUsed, baseRss, store, exact, text })}\n`,
);
process.exit(0);
