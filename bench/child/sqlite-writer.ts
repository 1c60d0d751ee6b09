/**
 * The SQLite peer's counterpart of writer.ts: one of several processes writing the same database
 * at once through the peer's own store (better-sqlite3, WAL, synchronous=FULL, busy_timeout). Same
 * arguments and the same "ready" / "go" handshake. better-sqlite3 is synchronous, so "in flight"
 * cannot overlap within a process: each write is one autocommit upsert, fsynced before the next.
 *
 *   node dist/bench/child/sqlite-writer.js '{"dir":"...","id":0,"count":1000,"inflight":8}'
 */
import path from "node:path";
import { readyThenWait, writerArgs } from "../lib/writer-protocol.js";
import { PEER_DB, SqliteStore } from "../peers/sqlite-store.js";

const args = writerArgs();
const store = SqliteStore.open(path.join(args.dir, PEER_DB));
await readyThenWait();

const latencies: number[] = new Array(args.count);
const t0 = performance.now();
const startedAt = Date.now();
for (let i = 0; i < args.count; i++) {
  const t = performance.now();
  store.store({ key: args.keyOf(i), value: args.values[i], namespace: args.namespace });
  latencies[i] = performance.now() - t;
}
const wallMs = performance.now() - t0;
const endedAt = Date.now();
store.close();
process.stdout.write(`${JSON.stringify({ id: args.id, latencies, wallMs, startedAt, endedAt })}\n`);
process.exit(0);
