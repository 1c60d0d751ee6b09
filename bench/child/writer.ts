/**
 * One of several processes writing the same store at once. Opens the store, prints "ready", waits
 * for a line on stdin (all writers are released together), writes `count` new keys with `inflight`
 * writes outstanding, and prints its latencies.
 *
 *   node dist/bench/child/writer.js '{"dir":"...","id":0,"count":1000,"inflight":1}'
 *
 * Optional arguments (namespace, key prefix, waitIndex) and the handshake: bench/lib/writer-protocol.ts.
 * waitIndex says "ready" only once the background search index is built, so the writes are timed
 * without an index build competing for the CPU.
 */
import { loadConfig } from "../../src/config/config.js";
import { MemoryBank } from "../../src/service/bank.js";
import { readyThenWait, writerArgs } from "../lib/writer-protocol.js";

const args = writerArgs();
const bank = await MemoryBank.open(loadConfig({ cwd: args.dir }), { log: () => {} });
if (args.waitIndex) await bank.indexReady();
await readyThenWait();

const latencies: number[] = new Array(args.count);
let next = 0;
const t0 = performance.now();
const startedAt = Date.now();
async function lane(): Promise<void> {
  for (let i = next++; i < args.count; i = next++) {
    const t = performance.now();
    await bank.storeEntry({ key: args.keyOf(i), value: args.values[i], namespace: args.namespace });
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
