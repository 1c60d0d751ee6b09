/**
 * The SQLite peer's counterpart of writer.ts: one of several processes writing the same database
 * at once through the peer's own store (better-sqlite3, WAL, synchronous=FULL, busy_timeout). Same
 * arguments and the same "ready" / "go" handshake. better-sqlite3 is synchronous, so "in flight"
 * cannot overlap within a process: each write is one autocommit upsert, fsynced before the next.
 *
 *   node dist/bench/child/sqlite-writer.js '{"dir":"...","id":0,"count":1000,"inflight":8}'
 */
import path from "node:path";
import { Queries } from "../lib/corpus.js";
import { PEER_DB, SqliteStore } from "../peers/sqlite-store.js";

interface Args {
  dir: string;
  id: number;
  count: number;
  inflight: number;
  namespace?: string;
  prefix?: string;
}

const args = JSON.parse(process.argv[2] ?? "{}") as Args;
const store = SqliteStore.open(path.join(args.dir, PEER_DB));
const q = new Queries(1000, 0xabc + args.id);
const values = Array.from({ length: args.count }, () => q.sentence());
const namespace = args.namespace ?? "multi";
const prefix = args.prefix ?? "";
process.stdout.write("ready\n");
await new Promise<void>((resolve) => {
  process.stdin.once("data", () => resolve());
  process.stdin.once("end", () => resolve());
});

const latencies: number[] = new Array(args.count);
const t0 = performance.now();
const startedAt = Date.now();
for (let i = 0; i < args.count; i++) {
  const t = performance.now();
  store.store({ key: `${prefix}writer-${args.id}/k-${i}`, value: values[i], namespace });
  latencies[i] = performance.now() - t;
}
const wallMs = performance.now() - t0;
const endedAt = Date.now();
store.close();
process.stdout.write(`${JSON.stringify({ id: args.id, latencies, wallMs, startedAt, endedAt })}\n`);
process.exit(0);
