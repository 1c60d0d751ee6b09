/**
 * One of several processes writing the same store at once. Opens the store, prints "ready", waits
 * for a line on stdin (all writers are released together), writes `count` new keys with `inflight`
 * writes outstanding, and prints its latencies.
 *
 *   node dist/bench/child/writer.js '{"dir":"...","id":0,"count":1000,"inflight":1}'
 */
import { loadConfig } from "../../src/config/config.js";
import { MemoryBank } from "../../src/service/bank.js";
import { Queries } from "../lib/corpus.js";

interface Args {
  dir: string;
  id: number;
  count: number;
  inflight: number;
}

const args = JSON.parse(process.argv[2] ?? "{}") as Args;
const bank = await MemoryBank.open(loadConfig({ cwd: args.dir }), { log: () => {} });
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
    await bank.storeEntry({ key: `writer-${args.id}/k-${i}`, value: values[i], namespace: "multi" });
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
