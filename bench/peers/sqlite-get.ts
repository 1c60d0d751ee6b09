#!/usr/bin/env node
/**
 * The SQLite peer's one-shot read, the counterpart of `memory-bank get KEY`: opens
 * ./memory/sqlite-peer.db through the peer's store, prints the entry as JSON and exits (1 when
 * there is none).
 *
 *   node dist/bench/peers/sqlite-get.js KEY [NAMESPACE]
 */
import path from "node:path";
import { PEER_DB, SqliteStore } from "./sqlite-store.js";

const [key, namespace = "default"] = process.argv.slice(2);
if (!key) {
  process.stderr.write("usage: sqlite-get.js KEY [NAMESPACE]\n");
  process.exit(2);
}
const store = SqliteStore.open(path.resolve(PEER_DB));
const entry = store.get(key, namespace);
store.close();
if (!entry) {
  process.stderr.write(`no entry '${key}' in namespace '${namespace}'\n`);
  process.exit(1);
}
process.stdout.write(`${JSON.stringify(entry, null, 2)}\n`);
