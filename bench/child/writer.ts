/**
 * One of several processes writing the same store at once. Opens the store, prints "ready", waits
 * for a line on stdin (all writers are released together), writes `count` new keys with `inflight`
 * writes outstanding, and prints its latencies.
 *
 *   node dist/bench/child/writer.js '{"dir":"...","id":0,"count":1000,"inflight":1}'
 *
 * Optional: "namespace" (default "multi"), "prefix" before every key (default ""), and "waitIndex":
 * true to print "ready" only once the background search index is built, so the writes are timed
 * without an index build competing for the CPU.
 */
import { loadConfig } from "../../src/config.js";
import { MemoryBank } from "../../src/memory.js";
import { Queries } from "../lib/corpus.js";

interface Args {
  dir: string;
  id: number;
  count: number;
  inflight: number;
  namespace?: string;
  prefix?: string;
  waitIndex?: boolean;
}

const args = JSON.parse(process.argv[2] ?? "{}") as Args;
const bank = await MemoryBank.open(loadConfig({ cwd: args.dir }), { log: () => {} });
if (args.waitIndex) await bank.indexReady();
const namespace = args.namespace ?? "multi";
const prefix = args.prefix ?? "";
const q = new Queries(1000, 0xabc + args.id);
const values = Array.from({ length: args.count }, () => q.sentence());
process.stdout.write("ready\n");
await new Promise<void>((resolve) => {
  process.stdin.once("data", () => resolve());
  process.stdin.once("end", () => resolve());
});

const latencies: number[] = new Array(args.count);
let next = 0;
const t0 = performance.now();
const startedAt = Date.now();
async function lane(): Promise<void> {
  for (let i = next++; i < args.count; i = next++) {
    const t = performance.now();
    await bank.storeEntry({ key: `${prefix}writer-${args.id}/k-${i}`, value: values[i], namespace });
    latencies[i] = performance.now() - t;
  }
}
await Promise.all(Array.from({ length: args.inflight }, lane));
const wallMs = performance.now() - t0;
const endedAt = Date.now();
process.stdout.write(`${JSON.stringify({ id: args.id, latencies, wallMs, startedAt, endedAt })}\n`);
// No close(): a clean close compacts, which is not part of what is measured; everything written
// was fsynced to the journal before storeEntry resolved.
process.exit(0);
