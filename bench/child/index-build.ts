/**
 * Search index build, single-threaded vs on worker threads, on the same documents in one process.
 * Prints {sequential: ms[], parallel: ms[], workers} on stdout.
 *
 *   node dist/bench/child/index-build.js '{"n":100000,"rounds":2}'
 */

import type { SearchDoc } from "../../src/search/api.js";
import { SearchIndex } from "../../src/search/api.js";
import { defaultWorkerCount } from "../../src/search/build.js";
import { toSearchDoc } from "../../src/service/index-sync.js";
import { entryOf } from "../lib/corpus.js";

const args = JSON.parse(process.argv[2] ?? "{}") as { n: number; rounds: number };
const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});

const docs: SearchDoc[] = [];
for (let i = 0; i < args.n; i++) docs.push(toSearchDoc(entryOf(i)));

const sequential: number[] = [];
const parallel: number[] = [];
let sizes: number[] = [];
for (let r = 0; r < args.rounds; r++) {
  // Alternate the order so neither variant always runs on a warmer heap.
  for (const par of r % 2 === 0 ? [false, true] : [true, false]) {
    gc();
    const t = performance.now();
    const index = await SearchIndex.build(docs, { parallel: par });
    (par ? parallel : sequential).push(performance.now() - t);
    sizes.push(index.size);
  }
}
if (sizes.some((s) => s !== args.n)) throw new Error(`index sizes ${sizes.join(",")} != ${args.n}`);
sizes = [];
process.stdout.write(`${JSON.stringify({ sequential, parallel, workers: defaultWorkerCount() })}\n`);
process.exit(0);
