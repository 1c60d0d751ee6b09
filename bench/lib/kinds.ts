/**
 * The kinds of server the sessions benchmark compares, each described by how an agent session
 * starts it, how its data is preloaded, and its one-shot and library counterparts. A new kind (a
 * shared bank server, say) is one more entry in SERVER_KINDS.
 */
import { execFileSync } from "node:child_process";
import { rmSync } from "node:fs";
import path from "node:path";
import { loadConfig } from "../../src/config/config.js";
import { JsonStore } from "../../src/store/json/json-store.js";
import { PEER_DB, SqliteStore } from "../peers/sqlite-store.js";
import type { Workspace } from "./preload.js";
import {
  IN_PROCESS,
  OUR_CLI,
  ROOT,
  type Running,
  startOurs,
  startSqlitePeer,
  waitForExit,
} from "./servers.js";

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
  oneShotGet: { describe: string; args(key: string): string[]; env?: Record<string, string> };
  /** A bench/child/*.js writer speaking writer.ts's arguments and ready/go handshake. */
  writerChild: string;
  /** Extra writer arguments. */
  writerArgs?: Record<string, unknown>;
  /** Entries in `namespace`, read from the project's files once every process has exited. */
  count(dir: string, namespace: string): Promise<number>;
}

const SHARED = { MEMORY_BANK_SHARED: "1" };

/**
 * A store as use leaves it: a first session has answered a ranked query (building the search
 * index and saving it beside the store) and closed.
 */
async function used(ws: Workspace, name: string, n: number, env: Record<string, string>): Promise<string> {
  const dir = await ws.ours(name, n);
  const s = await startOurs(dir, 600_000, env);
  await s.call("memory_query", { query: "warm up", limit: 1 });
  await s.close();
  return dir;
}

export const THIS_PROJECT: ServerKind = {
  id: "ours",
  label: "this project, in-process",
  describe:
    "every session runs its own `memory-bank serve` that opens the store itself (MEMORY_BANK_SHARED=0, the mode before the bank server): it loads the whole store and the search index saved beside it before it answers a ranked query (the preload's first session built and saved that index)",
  prepare: (ws, name, n) => used(ws, name, n, IN_PROCESS),
  start: (dir, timeoutMs) => startOurs(dir, timeoutMs, IN_PROCESS),
  oneShotGet: { describe: "`memory-bank get KEY`", args: (key) => [OUR_CLI, "get", key], env: IN_PROCESS },
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

/** The pid of the store's bank server, from `memory-bank status`; undefined when none runs. */
function bankServerPid(dir: string): number | undefined {
  const out = execFileSync(process.execPath, [OUR_CLI, "status", "--json"], {
    cwd: dir,
    encoding: "utf8",
    env: { ...process.env, ...SHARED },
  });
  const s = JSON.parse(out) as { running: boolean; pid?: number };
  return s.running ? s.pid : undefined;
}

async function stopBankServer(dir: string): Promise<void> {
  const pid = bankServerPid(dir);
  if (pid === undefined) return;
  process.kill(pid, "SIGTERM");
  await waitForExit(pid, 120_000);
}

const bankBase = {
  prepare: (ws: Workspace, name: string, n: number) => ws.ours(name, n),
  start: (dir: string, timeoutMs: number) => startOurs(dir, timeoutMs, SHARED),
  // The relays and the one bank server behind them.
  pids: (dir: string, sessions: readonly Running[]) => {
    const server = bankServerPid(dir);
    return [...sessions.map((s) => s.pid), ...(server !== undefined ? [server] : [])];
  },
  writerChild: "writer",
  writerArgs: { waitIndex: true },
  count: THIS_PROJECT.count,
};

/** The bank server already running (another session or an earlier call started it). */
export const BANK_WARM: ServerKind = {
  ...bankBase,
  id: "bank",
  label: "this project, bank server",
  describe:
    "`memory-bank serve` with the shared bank server (the default): each session is a relay to the store's one bank server, here already running (started by the preload and kept between rounds, as an earlier session leaves it for its idle time)",
  // Warm: a session starts the server, answers a ranked query (the index is built) and leaves.
  prepare: (ws, name, n) => used(ws, name, n, SHARED),
  oneShotGet: {
    describe: "`memory-bank get KEY` answered by the running bank server",
    args: (key) => [OUR_CLI, "get", key],
    env: SHARED,
  },
};

const noServerGet = {
  describe: "`memory-bank get KEY` with no bank server running (in-process, starts none)",
  args: (key: string) => [OUR_CLI, "get", key],
  env: SHARED,
};

/** No bank server running: the first session of a round starts it, and it loads the store and the saved index. */
export const BANK_COLD: ServerKind = {
  ...bankBase,
  id: "bank-cold",
  label: "this project, bank server started cold",
  describe:
    "as the bank server column, but stopped after every round: the first session of a round starts the bank server, which loads the store and the search index saved beside it while the sessions wait (the preload's first session built and saved that index, as any use of the store does)",
  prepare: async (ws, name, n) => {
    const dir = await used(ws, name, n, SHARED);
    await stopBankServer(dir);
    return dir;
  },
  afterRound: stopBankServer,
  oneShotGet: noServerGet,
};

/** The very first start on a store: no bank server and no saved index (a store just imported, say). */
export const BANK_FIRST: ServerKind = {
  ...bankBase,
  id: "bank-first",
  label: "this project, bank server's first start",
  describe:
    "as the cold column, with the saved search index deleted before every round: the bank server loads the store and builds the index from every entry while the sessions wait, as on a store no process has indexed yet",
  afterRound: async (dir) => {
    await stopBankServer(dir);
    rmSync(path.join(dir, "memory", "claude-flow-data.index"), { force: true });
  },
  oneShotGet: noServerGet,
};

/** Every kind, in column order; each one but the baseline gets a ratio column against it. */
export const SERVER_KINDS: readonly ServerKind[] = [
  THIS_PROJECT,
  BANK_WARM,
  BANK_COLD,
  BANK_FIRST,
  SQLITE_SERVER,
];
