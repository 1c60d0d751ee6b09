/**
 * The kinds of server the sessions benchmark compares, each described by how an agent session
 * starts it, how its data is preloaded, and its one-shot and library counterparts. A new kind (a
 * shared bank server, say) is one more entry in SERVER_KINDS.
 */
import path from "node:path";
import { loadConfig } from "../../src/config/config.js";
import { JsonStore } from "../../src/store/json/json-store.js";
import { PEER_DB, SqliteStore } from "../peers/sqlite-store.js";
import type { Workspace } from "./preload.js";
import { OUR_CLI, ROOT, type Running, startOurs, startSqlitePeer } from "./servers.js";

export interface ServerKind {
  /** Short name for logs and the --kinds option. */
  id: string;
  /** Column header in the tables. */
  label: string;
  /** The kind every other kind's ratio is taken against. */
  baseline?: boolean;
  /** One line on what a session of this kind is, for the section's notes. */
  describe: string;
  /** A project directory whose store holds entries 0..n-1 in namespace "default". */
  prepare(ws: Workspace, name: string, n: number): Promise<string>;
  /** Starts one agent session's MCP server in the project, as its registration would. */
  start(dir: string, timeoutMs: number): Promise<Running>;
  /**
   * The processes whose memory the running sessions cost, each counted once: by default each
   * session's server. A kind with a shared process adds it here.
   */
  pids?(dir: string, sessions: readonly Running[]): number[];
  /** After a round's sessions have exited (a kind with a shared process may stop it here). */
  afterRound?(dir: string): Promise<void>;
  /** A one-shot command that prints the entry under `key` and exits: node's arguments, cwd = dir. */
  oneShotGet: { describe: string; args(key: string): string[] };
  /** A bench/child/*.js writer speaking writer.ts's arguments and ready/go handshake. */
  writerChild: string;
  /** Extra writer arguments. */
  writerArgs?: Record<string, unknown>;
  /** Entries in `namespace`, read from the project's files once every process has exited. */
  count(dir: string, namespace: string): Promise<number>;
}

export const THIS_PROJECT: ServerKind = {
  id: "ours",
  label: "this project",
  describe:
    "today's mode: every session runs its own `memory-bank serve`, which loads the whole store and builds its own search index before it answers a ranked query",
  prepare: (ws, name, n) => ws.ours(name, n),
  start: (dir, timeoutMs) => startOurs(dir, timeoutMs),
  oneShotGet: { describe: "`memory-bank get KEY`", args: (key) => [OUR_CLI, "get", key] },
  writerChild: "writer",
  writerArgs: { waitIndex: true },
  count: async (dir, namespace) => {
    const store = new JsonStore({ dataPath: loadConfig({ cwd: dir }).dataPath, log: () => {} });
    await store.open();
    return store.namespace(namespace)?.size ?? 0;
  },
};

export const SQLITE_SERVER: ServerKind = {
  id: "sqlite",
  label: "SQLite server",
  baseline: true,
  describe:
    "a plain SQLite FTS5 stdio MCP server (bench/peers/sqlite-server.ts): every session runs its own process on one ./memory/sqlite-peer.db (WAL, synchronous=FULL, busy_timeout)",
  prepare: (ws, name, n) => ws.sqlite(name, n),
  start: (dir, timeoutMs) => startSqlitePeer(dir, timeoutMs),
  oneShotGet: {
    describe: "`node dist/bench/peers/sqlite-get.js KEY` (opens the database, reads one row, prints it)",
    args: (key) => [path.join(ROOT, "dist", "bench", "peers", "sqlite-get.js"), key],
  },
  writerChild: "sqlite-writer",
  count: async (dir, namespace) => {
    const store = SqliteStore.open(path.join(dir, PEER_DB));
    try {
      return store.countNamespace(namespace);
    } finally {
      store.close();
    }
  },
};

/** Every kind, in column order; each one but the baseline gets a ratio column against it. */
export const SERVER_KINDS: readonly ServerKind[] = [THIS_PROJECT, SQLITE_SERVER];
