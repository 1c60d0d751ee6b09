/**
 * The PostgreSQL backend: one store shared by processes on any number of machines.
 *
 * Same shape as the JSON store, with the database in place of the files:
 * - Reads are answered from memory: the whole `entries` table is loaded at open, and the change
 *   feed (feed.ts) applies every other process's commits as they arrive. `refresh()` applies
 *   nothing itself (the feed already did): a commit elsewhere is visible here one notification
 *   plus one query later (bench/sections/postgres.ts measures it), or one `pollMs` later if a
 *   notification was lost, or once the feed has reconnected after an outage.
 * - Writers take the store's write lock (the head row, FOR UPDATE) inside their transaction,
 *   catch up with the feed under it, run the transactions against that fresh state, and write
 *   the rows, the feed rows and the new head in one statement whose row counts must match what
 *   the in-memory state expected (`seq` of every row touched: the version check inside the
 *   transaction). Concurrent writes of this process share one transaction (group commit); an
 *   atomic batch is always inside one, so it is all or nothing.
 * - A write is acknowledged after COMMIT returned with synchronous_commit on. A connection lost
 *   before COMMIT means nothing was stored; lost during COMMIT, the writer asks the database
 *   (once reachable) whether its transaction's token is in the feed, and answers accordingly.
 * - `now()` is the database server's clock, measured at every poll and every write lock.
 */
import { randomUUID } from "node:crypto";
import type { Entry } from "../../domain/entry.js";
import { errorMessage, MemoryError } from "../../domain/errors.js";
import type {
  Backend,
  CompactResult,
  StoreObserver,
  StoreProblem,
  StoreStatus,
  TxView,
  WriteOptions,
} from "../backend.js";
import { EntryState } from "../entry-state.js";
import {
  type Client,
  checkout,
  createPool,
  explain,
  isConnectionError,
  type Pool,
  type PoolClient,
  type SessionOptions,
} from "./connection.js";
import { type ChangeRow, catchUp, Feed, type FeedTarget, type HeadRow, headQuery } from "./feed.js";
import { bodyOf, entryFromRow, keyColumn, slot } from "./rows.js";
import { lacking, migrate, missingPrivileges, quoteIdent } from "./schema/migrations.js";
import { describeTarget, isLoopback, type PostgresSettings } from "./settings.js";

export interface PostgresBackendOptions {
  settings: PostgresSettings;
  /** memory.store.fsync: synchronous_commit on (default) or off. */
  fsync?: boolean;
  /** Entries compaction may drop (expired ones). */
  isExpired?: (entry: Entry, now: number) => boolean;
  /** performance.enableParallelAccess = false: meaningless for a shared database, said once. */
  exclusive?: boolean;
  applicationName?: string;
  log?: (message: string) => void;
}

interface Txn {
  fn: (tx: TxView) => unknown;
  atomic: boolean;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

type SimpleOp = { op: "put"; entry: Entry; body: string } | { op: "del"; namespace: string; key: string };

/** A group's transactions after they ran: the changes to commit and each caller's answer. */
interface Plan {
  ops: SimpleOp[];
  outcomes: Array<{ ok: true; value: unknown } | { ok: false; error: unknown }>;
  ran: Txn[];
}

/** Transactions per group commit, and the bytes of entry text past which a group stops growing. */
const MAX_GROUP = 512;
const MAX_GROUP_BYTES = 64 * 1024 * 1024;
/** The feed is pruned by some process about this often. */
const PRUNE_EVERY_MS = 3_600_000;

export class PostgresBackend implements Backend {
  readonly settings: PostgresSettings;
  private readonly log: (message: string) => void;
  private readonly session: SessionOptions;
  private readonly isExpired: ((entry: Entry, now: number) => boolean) | undefined;
  private readonly s: string;
  private readonly channel: string;

  /** The entries, their revision and the observers (store/entry-state.ts). */
  private readonly state = new EntryState();
  /** The `seq` of each row in `entries` as this process knows it (damaged rows too). */
  private rowSeq = new Map<string, number>();
  private seq = 0;
  private problems: StoreProblem[] = [];
  private seenDefects = new Set<string>();
  /** Server clock minus local clock (ms), from the last measurement. */
  private offset = 0;
  private head: Pick<
    HeadRow,
    "compactions" | "last_compaction" | "entries_bytes" | "changes_bytes" | "pruned_through"
  > = {
    compactions: 0,
    last_compaction: null,
    entries_bytes: 0,
    changes_bytes: 0,
    pruned_through: 0,
  };
  private pool: Pool | undefined;
  private feed: Feed | undefined;
  private queue: Txn[] = [];
  private flushing: Promise<void> | undefined;
  private closed = false;
  private lastPruneTry = 0;
  /** The table disagreed with the feed (a row changed by hand): reload before the next write. */
  private mustReload = false;
  private offsetMeasured = false;

  constructor(private readonly options: PostgresBackendOptions) {
    this.settings = options.settings;
    this.log = options.log ?? ((m) => process.stderr.write(`memory-bank: ${m}\n`));
    this.isExpired = options.isExpired;
    this.s = quoteIdent(this.settings.schema);
    this.channel = `${this.settings.schema}.changes`;
    this.session = {
      synchronousCommit: options.fsync ?? true,
      applicationName: options.applicationName ?? "memory-bank",
    };
  }

  /** The database, as it may be shown (no password). */
  get target(): string {
    return describeTarget(this.settings);
  }

  now(): number {
    return Date.now() + this.offset;
  }

  get size(): number {
    return this.state.size;
  }

  get revision(): number {
    return this.state.revision;
  }

  /** The last change applied here (its seq in the feed). */
  get position(): number {
    return this.seq;
  }

  /** Whether the change feed is connected right now. */
  get following(): boolean {
    return this.feed?.connected ?? false;
  }

  observe(observer: StoreObserver): void {
    this.state.observe(observer);
  }

  // ---------------------------------------------------------------------------------------------
  // Opening

  async open(): Promise<void> {
    const s = this.settings;
    if (s.sslmode === "disable" && !isLoopback(s.host)) {
      this.log(
        `connecting to ${this.target} without TLS: the password and every entry cross the network in clear; set sslmode=verify-full (docs/team-memory.md)`,
      );
    }
    if (this.options.exclusive) {
      this.log(
        "performance.enableParallelAccess is false, but the postgres backend is shared by design: other processes may still write",
      );
    }
    const pool = createPool(s, this.session, () => {
      // An idle connection died (database restart): the pool replaces it on next use.
    });
    this.pool = pool;
    let c: PoolClient | undefined;
    try {
      c = await checkout(pool);
      const applied = await migrate(c, s.schema, { user: s.user, database: s.database });
      if (applied.length > 0) this.log(`schema ${s.schema}: applied migration ${applied.join(", ")}`);
      const missing = await missingPrivileges(c, s.schema);
      if (missing.length > 0) throw lacking(s.user, missing);
      const fsync = await c.query<{ fsync: string }>("SELECT current_setting('fsync') AS fsync");
      if (fsync.rows[0]?.fsync !== "on") {
        this.log(
          `the PostgreSQL server at ${this.target} runs with fsync=${fsync.rows[0]?.fsync}: a crash of its machine can lose acknowledged writes`,
        );
      }
      await this.load(c, true, false);
      c.release();
      c = undefined;
      const feed = new Feed(
        s,
        { ...this.session, queryTimeoutMs: Math.max(10_000, s.pollMs * 5) },
        this.channel,
        this.feedTarget(),
      );
      this.feed = feed;
      await feed.start();
    } catch (error) {
      c?.release();
      await this.feed?.close().catch(() => {});
      await pool.end().catch(() => {});
      this.pool = undefined;
      this.closed = true;
      throw explain(error, s, `cannot open the store in schema ${s.schema}`);
    }
    this.log(
      `postgres backend: ${this.target}, schema ${s.schema}: ${this.state.size} entries, at change ${this.seq}`,
    );
  }

  private feedTarget(): FeedTarget {
    return {
      position: () => this.seq,
      apply: (rows) => this.applyRows(rows),
      reload: (c) => this.load(c, false, false),
      rewound: (c, head) => this.rewound(c, head),
      sawHead: (head, sentAt, receivedAt) => this.sawHead(head, sentAt, receivedAt),
      log: (m) => this.log(m),
    };
  }

  private sawHead(
    head: Partial<HeadRow> &
      Pick<HeadRow, "now" | "seq" | "pruned_through" | "compactions" | "last_compaction">,
    sentAt: number,
    receivedAt: number,
  ): void {
    // A slow round trip (a wait for the write lock) says little about the clock.
    if (receivedAt - sentAt < 50 || !this.offsetMeasured) {
      this.offset = Math.round(head.now - (sentAt + receivedAt) / 2);
      this.offsetMeasured = true;
    }
    this.head = { ...this.head, ...head };
    const last = head.last_compaction ? head.last_compaction.getTime() : 0;
    if (head.now - last > PRUNE_EVERY_MS && Date.now() - this.lastPruneTry > PRUNE_EVERY_MS && !this.closed) {
      this.lastPruneTry = Date.now();
      this.pruneFeed().catch((error) =>
        this.log(`pruning the change feed failed (it keeps every change): ${errorMessage(error)}`),
      );
    }
  }

  /**
   * Loads the whole table as of one snapshot. At open observers get one reset; later (the feed
   * was pruned past us) only what differs is emitted, so the search index is patched.
   * `locked`: called by a writer inside its transaction, where nothing else can commit.
   */
  private async load(
    c: Client | PoolClient,
    initial: boolean,
    locked: boolean,
    backwards = false,
  ): Promise<void> {
    if (!locked) await c.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
    const startedAt = this.seq;
    try {
      const h = await c.query<HeadRow>(headQuery(this.settings.schema));
      const head = h.rows[0];
      if (!head)
        throw new MemoryError("CORRUPT_DATA", `the head row of schema ${this.settings.schema} is missing`);
      await c.query(
        `DECLARE memory_bank_load NO SCROLL CURSOR FOR SELECT namespace, key, seq, body FROM ${this.s}.entries`,
      );
      const loaded: Entry[] = [];
      const rowSeq = new Map<string, number>();
      for (;;) {
        const r = await c.query<{ namespace: string; key: string; seq: number; body: unknown }>(
          "FETCH 2000 FROM memory_bank_load",
        );
        for (const row of r.rows) {
          const found = entryFromRow(row);
          if ("defect" in found) {
            rowSeq.set(`${row.namespace}\u0000${row.key}`, row.seq);
            this.noteDefect(row, found.defect);
            continue;
          }
          const e = found.entry;
          loaded.push(e);
          rowSeq.set(slot(e.namespace, keyColumn(e.key)), row.seq);
        }
        if (r.rows.length < 2000) break;
      }
      await c.query("CLOSE memory_bank_load");
      if (!locked) await c.query("COMMIT");
      // A writer of this process got further while this load ran: what it holds is newer. Even
      // for a rewound database: changes applied during the load were read after its snapshot,
      // and a state put back under them would lack them while claiming their position.
      if (!initial && head.seq < this.seq && (!backwards || this.seq !== startedAt)) return;
      this.rowSeq = rowSeq;
      this.seq = head.seq;
      this.head = head;
      this.state.load(loaded, initial ? "reset" : "diff");
      if (!initial) {
        this.log(
          `reloaded ${this.state.size} entries at change ${head.seq} (the change feed no longer held what this process missed)`,
        );
      }
    } catch (error) {
      if (!locked) await c.query("ROLLBACK").catch(() => {});
      throw error;
    }
  }

  /**
   * The database's head is behind what this process applied: it was restored from a backup (or
   * the schema recreated). Its content is the truth now; entries this process had beyond it are
   * gone from the store, and the reload emits their removal.
   */
  private async rewound(c: Client | PoolClient, head: number): Promise<void> {
    this.log(
      `the change feed of ${this.settings.schema} is at change ${head}, behind this process's ${this.seq} (the database was restored from a backup?): reloading the whole table`,
    );
    await this.load(c, false, false, true);
  }

  private noteDefect(row: { namespace: string; key: string; seq: number }, defect: string): void {
    const id = `${row.namespace}\u0000${row.key}\u0000${row.seq}`;
    if (this.seenDefects.has(id)) return;
    this.seenDefects.add(id);
    this.report(
      "corrupt-entry",
      `row '${row.key.slice(0, 200)}' in namespace '${row.namespace.slice(0, 64)}' of ${this.settings.schema}.entries (change ${row.seq}) is not a valid entry (${defect}); it is not served, and stays in the table until a write replaces it`,
    );
  }

  private report(kind: StoreProblem["kind"], detail: string): void {
    this.problems.push({ at: new Date().toISOString(), kind, detail });
    if (this.problems.length > 100) this.problems.shift();
    this.log(detail);
  }

  // ---------------------------------------------------------------------------------------------
  // Reading

  get(namespace: string, key: string): Entry | undefined {
    return this.state.get(namespace, key);
  }

  namespace(namespace: string): ReadonlyMap<string, Entry> | undefined {
    return this.state.namespace(namespace);
  }

  namespaces(): string[] {
    return this.state.namespaces();
  }

  entries(): IterableIterator<Entry> {
    return this.state.entries();
  }

  /**
   * Nothing to do synchronously: the feed applies other processes' commits as they arrive. What
   * it has not received yet (a commit less than one notification round trip old) is not seen.
   */
  refresh(): void {}

  /**
   * Catches up with everything committed before this call, by asking the database (one round
   * trip). Not part of the Backend contract yet: a service that awaited it before each read
   * would see every acknowledged write of every machine, as with the JSON store.
   */
  async sync(): Promise<void> {
    const c = await this.connect("reading the change feed", "");
    try {
      const sentAt = Date.now();
      const h = await c.query<HeadRow>(headQuery(this.settings.schema));
      const head = h.rows[0];
      if (!head)
        throw new MemoryError("CORRUPT_DATA", `the head row of schema ${this.settings.schema} is missing`);
      this.sawHead(head, sentAt, Date.now());
      await catchUp(c, this.settings.schema, this.feedTarget(), head.seq, head.pruned_through);
      c.release();
    } catch (error) {
      c.release(isConnectionError(error) ? (error as Error) : undefined);
      throw explain(error, this.settings, "reading the change feed");
    }
  }

  /** Applies feed rows (complete transactions, starting right after `seq`). */
  private applyRows(rows: ChangeRow[]): void {
    for (const row of rows) {
      if (row.seq <= this.seq) continue;
      if (row.seq !== this.seq + 1) {
        throw new MemoryError("CORRUPT_DATA", `the change feed skips from ${this.seq} to ${row.seq}`);
      }
      this.seq = row.seq;
      const id = `${row.namespace}\u0000${row.key}`;
      if (row.op === "del") {
        this.rowSeq.delete(id);
        const entry = this.findByColumn(row.namespace, row.key);
        if (entry) this.state.del(entry.namespace, entry.key);
        continue;
      }
      this.rowSeq.set(id, row.seq);
      const found = entryFromRow(row);
      if ("defect" in found) {
        this.noteDefect(row, found.defect);
        // The row replaced whatever was there: the old entry is not served either.
        const entry = this.findByColumn(row.namespace, row.key);
        if (entry) this.state.del(entry.namespace, entry.key);
        continue;
      }
      this.state.put(found.entry);
    }
  }

  /** The entry whose key column is `column` (the key itself, unless it needed the escaped spelling). */
  private findByColumn(namespace: string, column: string): Entry | undefined {
    const byKey = this.state.namespace(namespace);
    if (!byKey) return undefined;
    if (!column.startsWith("\u0001")) return byKey.get(column);
    try {
      return byKey.get(JSON.parse(column.slice(1)) as string);
    } catch {
      return undefined;
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Writing

  write<R>(fn: (tx: TxView) => R, options: WriteOptions = {}): Promise<R> {
    if (this.closed || !this.pool)
      return Promise.reject(new MemoryError("UNAVAILABLE", "the store is closed"));
    return new Promise<R>((resolve, reject) => {
      this.queue.push({
        fn,
        atomic: options.atomic ?? false,
        resolve: resolve as (v: unknown) => void,
        reject,
      });
      if (!this.flushing) this.flushing = this.flushLoop();
    });
  }

  private async flushLoop(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const group = this.queue.splice(0, MAX_GROUP);
        try {
          await this.commitGroup(group);
        } catch (error) {
          for (const t of group) t.reject(error);
        }
      }
    } finally {
      this.flushing = undefined;
    }
  }

  private async connect(what: string, outcome: string): Promise<PoolClient> {
    const pool = this.pool;
    if (!pool || this.closed) throw new MemoryError("UNAVAILABLE", "the store is closed");
    try {
      return await checkout(pool);
    } catch (error) {
      throw explain(error, this.settings, what, outcome);
    }
  }

  /**
   * One transaction for the group: lock, catch up, run, write, commit. Transactions that do not
   * fit (MAX_GROUP_BYTES) go back to the head of the queue without having run.
   */
  private async commitGroup(group: Txn[]): Promise<void> {
    const nothing = "nothing was stored";
    const c = await this.connect("storing", `${nothing}; retry once the database is reachable`);
    let phase: "before-commit" | "commit-sent" = "before-commit";
    let broken: Error | undefined;
    let token = "";
    let first = 0;
    let plan: Plan | undefined;
    try {
      const sentAt = Date.now();
      // The head row's lock is the store's write lock. A writer that waited for it re-reads the
      // row (and so the clock) once it has it: `now` is a time after the previous commit.
      const locked = (await c.query(
        `BEGIN; SELECT seq, pruned_through, compactions, last_compaction,
           (extract(epoch from clock_timestamp()) * 1000)::float8 AS now
         FROM ${this.s}.head WHERE id = 1 FOR UPDATE`,
      )) as unknown as Array<{
        rows: HeadRow[];
      }>;
      const head = locked[1]?.rows[0];
      if (!head)
        throw new MemoryError("CORRUPT_DATA", `the head row of schema ${this.settings.schema} is missing`);
      this.sawHead(head, sentAt, Date.now());
      if (head.seq !== this.seq || head.pruned_through > this.seq || this.mustReload) {
        if (head.pruned_through > this.seq || this.mustReload || head.seq < this.seq) {
          if (head.seq < this.seq) {
            this.log(
              `the change feed of ${this.settings.schema} is at change ${head.seq}, behind this process's ${this.seq} (the database was restored from a backup?): reloading the whole table`,
            );
          }
          await this.load(c, false, true, true);
          this.mustReload = false;
        } else await catchUp(c, this.settings.schema, this.feedTarget(), head.seq, head.pruned_through);
      }
      if (this.seq !== head.seq) {
        throw new MemoryError(
          "CORRUPT_DATA",
          `the change feed ends at ${this.seq} but the head says ${head.seq}`,
        );
      }
      plan = this.runGroup(group, Math.floor(head.now));
      if (plan.ran.length < group.length) this.queue.unshift(...group.slice(plan.ran.length));
      if (plan.ops.length === 0) {
        await c.query("ROLLBACK");
      } else {
        token = randomUUID();
        first = this.seq + 1;
        await this.writeRows(c, plan.ops, first, token);
        phase = "commit-sent";
        await c.query("COMMIT");
        // The state went back under this commit's start meanwhile (a reload): read up to the
        // commit, so the position never claims changes that were not applied.
        if (this.seq < first - 1) {
          await catchUp(c, this.settings.schema, this.feedTarget(), first + plan.ops.length - 1, 0).catch(
            (error) => {
              // Committed all the same: the feed (or the next write, reloading) brings it in.
              this.mustReload = true;
              this.log(`reading back a commit failed (${errorMessage(error)}); the change feed brings it`);
              void this.feed?.wake();
            },
          );
        }
      }
    } catch (error) {
      if (isConnectionError(error)) broken = error as Error;
      else await c.query("ROLLBACK").catch(() => {});
      c.release(broken);
      if (phase === "commit-sent" && broken && plan) {
        const committed = await this.wasCommitted(token, first);
        if (committed === true) {
          this.log(
            `the connection was lost during COMMIT; the transaction was found committed (changes ${first}..)`,
          );
          this.settle_(plan, first);
          return;
        }
        const e =
          committed === false
            ? explain(
                error,
                this.settings,
                "storing",
                `${nothing} (the database confirmed the transaction was not committed); retry`,
              )
            : new MemoryError(
                "UNAVAILABLE",
                `storing: the connection to PostgreSQL at ${this.target} was lost while the write was being committed, and the database could not be asked again whether it was: it may or may not be stored; read the entries back before retrying`,
              );
        for (const t of plan.ran) t.reject(e);
        return;
      }
      const e = explain(error, this.settings, "storing", `${nothing}; retry`);
      for (const t of plan?.ran ?? group) t.reject(e);
      return;
    }
    c.release();
    this.settle_(plan, first);
  }

  /** After COMMIT: apply the group's changes (unless the feed already did) and answer each caller. */
  private settle_(plan: Plan, first: number): void {
    if (plan.ops.length > 0) this.applyOwn(plan, first);
    plan.ran.forEach((t, i) => {
      const o = plan.outcomes[i];
      if (o?.ok) t.resolve(o.value);
      else t.reject(o?.error);
    });
  }

  private applyOwn(plan: Plan, first: number): void {
    // The feed may have read this very commit back before COMMIT's answer arrived.
    if (this.seq >= first + plan.ops.length - 1) return;
    // Never over a gap: the state lacks changes before this commit; the feed brings them all.
    if (this.seq < first - 1) return;
    let seq = first - 1;
    for (const op of plan.ops) {
      seq++;
      if (op.op === "put") {
        this.rowSeq.set(slot(op.entry.namespace, keyColumn(op.entry.key)), seq);
        this.seq = seq;
        this.state.put(op.entry);
      } else {
        this.rowSeq.delete(slot(op.namespace, keyColumn(op.key)));
        this.seq = seq;
        this.state.del(op.namespace, op.key);
      }
    }
  }

  /** Runs the transactions against the caught-up state, as the JSON store does under its lock. */
  private runGroup(group: Txn[], now: number): Plan {
    const staged = new Map<string, Entry | null>();
    const ops: SimpleOp[] = [];
    const outcomes: Array<{ ok: true; value: unknown } | { ok: false; error: unknown }> = [];
    const ran: Txn[] = [];
    let bytes = 0;
    for (const txn of group) {
      if (ran.length > 0 && bytes >= MAX_GROUP_BYTES) break;
      ran.push(txn);
      const own = new Map<string, Entry | null>();
      const txOps: SimpleOp[] = [];
      let txBytes = 0;
      const view: TxView = {
        now,
        get: (ns, key) => {
          const id = slot(ns, key);
          const hit = own.has(id) ? own.get(id) : staged.has(id) ? staged.get(id) : this.get(ns, key);
          return hit ?? undefined;
        },
        put: (entry) => {
          own.set(slot(entry.namespace, entry.key), entry);
          const body = bodyOf(entry);
          txBytes += body.length;
          txOps.push({ op: "put", entry, body });
        },
        del: (ns, key) => {
          own.set(slot(ns, key), null);
          txOps.push({ op: "del", namespace: ns, key });
        },
      };
      try {
        const value = txn.fn(view);
        for (const [id, e] of own) staged.set(id, e);
        // A delete of what is not there (in the state or earlier in the group) changes nothing.
        const present = new Map<string, boolean>();
        for (const op of txOps) {
          const id = op.op === "put" ? slot(op.entry.namespace, op.entry.key) : slot(op.namespace, op.key);
          if (op.op === "del") {
            const there = present.get(id) ?? this.stagedPresence(ops, op.namespace, op.key);
            present.set(id, false);
            if (!there) continue;
          } else {
            present.set(id, true);
          }
          ops.push(op);
        }
        bytes += txBytes;
        outcomes.push({ ok: true, value });
      } catch (error) {
        outcomes.push({ ok: false, error });
      }
    }
    return { ops, outcomes, ran };
  }

  /** Whether the key holds an entry after the ops planned so far (else: in the state). */
  private stagedPresence(ops: SimpleOp[], namespace: string, key: string): boolean {
    for (let i = ops.length - 1; i >= 0; i--) {
      const op = ops[i] as SimpleOp;
      const hit =
        op.op === "put"
          ? op.entry.namespace === namespace && op.entry.key === key
          : op.namespace === namespace && op.key === key;
      if (hit) return op.op === "put";
    }
    return this.get(namespace, key) !== undefined;
  }

  /**
   * The group's rows in one statement: deletes and updates carry the `seq` this process saw,
   * inserts require the key to be absent, so a row changed behind the feed's back fails the
   * counts and nothing is committed.
   */
  private async writeRows(c: PoolClient, ops: SimpleOp[], first: number, token: string): Promise<void> {
    // Net effect per row: the last op on a key decides, compared with the row as it was.
    const final = new Map<string, { column: string; namespace: string; op: SimpleOp; seq: number }>();
    const feed = {
      seq: [] as number[],
      op: [] as string[],
      ns: [] as string[],
      key: [] as string[],
      body: [] as (string | null)[],
    };
    ops.forEach((op, i) => {
      const seq = first + i;
      const namespace = op.op === "put" ? op.entry.namespace : op.namespace;
      const column = keyColumn(op.op === "put" ? op.entry.key : op.key);
      final.set(`${namespace}\u0000${column}`, { column, namespace, op, seq });
      feed.seq.push(seq);
      feed.op.push(op.op);
      feed.ns.push(namespace);
      feed.key.push(column);
      feed.body.push(op.op === "put" ? op.body : null);
    });
    const del = { ns: [] as string[], key: [] as string[], seq: [] as number[] };
    const upd = {
      ns: [] as string[],
      key: [] as string[],
      version: [] as number[],
      seq: [] as number[],
      body: [] as string[],
      expected: [] as number[],
    };
    const ins = {
      ns: [] as string[],
      key: [] as string[],
      version: [] as number[],
      seq: [] as number[],
      body: [] as string[],
    };
    for (const [id, f] of final) {
      const was = this.rowSeq.get(id);
      if (f.op.op === "del") {
        if (was === undefined) continue;
        del.ns.push(f.namespace);
        del.key.push(f.column);
        del.seq.push(was);
      } else if (was !== undefined) {
        upd.ns.push(f.namespace);
        upd.key.push(f.column);
        upd.version.push(f.op.entry.version);
        upd.seq.push(f.seq);
        upd.body.push(f.op.body);
        upd.expected.push(was);
      } else {
        ins.ns.push(f.namespace);
        ins.key.push(f.column);
        ins.version.push(f.op.entry.version);
        ins.seq.push(f.seq);
        ins.body.push(f.op.body);
      }
    }
    const last = first + ops.length - 1;
    const s = this.s;
    const r = await c.query<{ deleted: number; updated: number; inserted: number; changes: number }>(
      `WITH
        d AS (DELETE FROM ${s}.entries e USING unnest($1::text[], $2::text[], $3::bigint[]) AS x(namespace, key, seq)
              WHERE e.namespace = x.namespace AND e.key = x.key AND e.seq = x.seq RETURNING 1),
        u AS (UPDATE ${s}.entries e SET version = x.version, seq = x.seq, body = x.body
              FROM unnest($4::text[], $5::text[], $6::bigint[], $7::bigint[], $8::json[], $9::bigint[])
                AS x(namespace, key, version, seq, body, expected)
              WHERE e.namespace = x.namespace AND e.key = x.key AND e.seq = x.expected RETURNING 1),
        i AS (INSERT INTO ${s}.entries (namespace, key, version, seq, body)
              SELECT * FROM unnest($10::text[], $11::text[], $12::bigint[], $13::bigint[], $14::json[])
              ON CONFLICT DO NOTHING RETURNING 1),
        f AS (INSERT INTO ${s}.changes (seq, txn_last, txn, op, namespace, key, body)
              SELECT x.seq, $15, $16::uuid, x.op, x.namespace, x.key, x.body
              FROM unnest($17::bigint[], $18::text[], $19::text[], $20::text[], $21::json[]) AS x(seq, op, namespace, key, body)
              RETURNING 1),
        h AS (UPDATE ${s}.head SET seq = $15 WHERE id = 1 RETURNING seq)
      SELECT (SELECT count(*) FROM d)::int AS deleted, (SELECT count(*) FROM u)::int AS updated,
             (SELECT count(*) FROM i)::int AS inserted, (SELECT count(*) FROM f)::int AS changes,
             pg_notify($22, (SELECT seq FROM h)::text)`,
      [
        del.ns,
        del.key,
        del.seq,
        upd.ns,
        upd.key,
        upd.version,
        upd.seq,
        upd.body,
        upd.expected,
        ins.ns,
        ins.key,
        ins.version,
        ins.seq,
        ins.body,
        last,
        token,
        feed.seq,
        feed.op,
        feed.ns,
        feed.key,
        feed.body,
        this.channel,
      ],
    );
    const got = r.rows[0];
    if (
      !got ||
      got.deleted !== del.ns.length ||
      got.updated !== upd.ns.length ||
      got.inserted !== ins.ns.length ||
      got.changes !== ops.length
    ) {
      // The rows are not what the feed said they are: someone changed the table without the
      // feed. Nothing is committed; the next write starts from a fresh load.
      this.mustReload = true;
      throw new MemoryError(
        "CORRUPT_DATA",
        `${this.settings.schema}.entries does not match its change feed (expected ${del.ns.length} deletes, ${upd.ns.length} updates, ${ins.ns.length} inserts; the database did ${got?.deleted}, ${got?.updated}, ${got?.inserted}): a row was changed outside memory-bank; nothing was stored, and this process reloads the table before its next write`,
      );
    }
  }

  /** After a lost COMMIT: true/false once the database says, undefined if it cannot be asked. */
  private async wasCommitted(token: string, first: number): Promise<boolean | undefined> {
    const deadline = Date.now() + Math.max(this.settings.connectTimeoutMs, 5000);
    while (Date.now() < deadline && !this.closed) {
      let c: PoolClient | undefined;
      try {
        if (!this.pool) return undefined;
        c = await checkout(this.pool);
        await c.query("BEGIN");
        // Waits for the lost transaction's server side to finish if it still runs: it holds the row.
        await c.query(`SELECT 1 FROM ${this.s}.head WHERE id = 1 FOR SHARE`);
        const r = await c.query<{ txn: string }>(
          `SELECT txn::text AS txn FROM ${this.s}.changes WHERE seq = $1`,
          [first],
        );
        await c.query("COMMIT");
        c.release();
        return r.rows[0]?.txn === token;
      } catch (error) {
        c?.release(error as Error);
        if (!isConnectionError(error)) return undefined;
        await new Promise((r) => setTimeout(r, 200));
      }
    }
    return undefined;
  }

  // ---------------------------------------------------------------------------------------------
  // Maintenance

  /**
   * Drops expired entries (as deletes through the feed, so every process sees them go) and
   * removes feed rows older than feedRetention. There are no files to fold: PostgreSQL's own
   * VACUUM reclaims the space.
   */
  async compact(reason = "requested"): Promise<CompactResult | undefined> {
    await this.settle();
    const isExpired = this.isExpired;
    const dropped = isExpired
      ? await this.write((tx) => {
          // Only what both this process's clock and the database's agree has expired.
          const at = Math.min(Date.now(), tx.now);
          let n = 0;
          for (const e of [...this.entries()]) {
            if (isExpired(e, at)) {
              tx.del(e.namespace, e.key);
              n++;
            }
          }
          return n;
        })
      : 0;
    await this.pruneFeed();
    this.log(
      `compacted (${reason}): ${this.state.size} entries, ${dropped} expired dropped, feed kept from change ${this.head.pruned_through + 1}`,
    );
    return {
      generation: this.head.compactions,
      entries: this.state.size,
      dropped,
      bytes: this.head.entries_bytes,
    };
  }

  private async pruneFeed(): Promise<void> {
    const c = await this.connect("pruning the change feed", "");
    try {
      await c.query("BEGIN");
      await c.query(`SELECT 1 FROM ${this.s}.head WHERE id = 1 FOR UPDATE`);
      const r = await c.query<{ pruned_through: number; compactions: number; last_compaction: Date }>(
        `WITH d AS (DELETE FROM ${this.s}.changes WHERE at < clock_timestamp() - $1 * interval '1 millisecond' RETURNING seq)
         UPDATE ${this.s}.head SET pruned_through = GREATEST(pruned_through, COALESCE((SELECT max(seq) FROM d), 0)),
           compactions = compactions + 1, last_compaction = clock_timestamp()
         WHERE id = 1 RETURNING pruned_through, compactions, last_compaction`,
        [this.settings.feedRetentionMs],
      );
      await c.query("COMMIT");
      c.release();
      const row = r.rows[0];
      if (row) this.head = { ...this.head, ...row };
    } catch (error) {
      await c.query("ROLLBACK").catch(() => {});
      c.release(isConnectionError(error) ? (error as Error) : undefined);
      throw explain(error, this.settings, "pruning the change feed");
    }
  }

  private async settle(): Promise<void> {
    while (this.flushing) await this.flushing;
  }

  status(): StoreStatus {
    return {
      generation: this.head.compactions,
      entries: this.state.size,
      journalBytes: this.head.changes_bytes,
      journalRecords: Math.max(0, this.seq - this.head.pruned_through),
      snapshotBytes: this.head.entries_bytes,
      ...(this.head.last_compaction ? { lastCompaction: this.head.last_compaction.toISOString() } : {}),
      revision: this.state.revision,
      problems: [...this.problems],
    };
  }

  /** Commits what is queued and closes every connection. Nothing to compact at shutdown. */
  async close(): Promise<void> {
    if (this.closed) return;
    await this.settle();
    this.closed = true;
    await this.feed?.close();
    await this.pool?.end().catch(() => {});
    this.pool = undefined;
  }
}
