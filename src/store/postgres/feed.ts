/**
 * Following the change feed: how other processes' commits reach this one.
 *
 * One dedicated connection LISTENs on the store's channel; every writer NOTIFYs it in the same
 * transaction as its changes, so the wake-up arrives once the commit is visible. A wake-up (or
 * the poll every `pollMs`, which also catches a connection that died without a word) reads the
 * head row and then the changes after the last one applied, in pages, and hands complete
 * transactions to the backend. A page that ends inside a transaction waits for the next page:
 * a reader never applies part of a batch.
 *
 * When the connection is lost (database restart, network cut) the feed reconnects with backoff,
 * LISTENs again and catches up from the last applied change: nothing committed meanwhile is
 * missed, because it is all in `changes`. A process away longer than the feed keeps changes
 * (`feedRetention`) finds `pruned_through` past its position and reloads the whole table instead.
 */
import type { Client } from "pg";
import { createClient, type Client as PgClient, type SessionOptions } from "./connection.js";
import { quoteIdent } from "./schema/migrations.js";
import type { PostgresSettings } from "./settings.js";

export interface ChangeRow {
  seq: number;
  txn_last: number;
  op: "put" | "del";
  namespace: string;
  key: string;
  body: unknown;
}

export interface HeadRow {
  seq: number;
  pruned_through: number;
  compactions: number;
  last_compaction: Date | null;
  now: number;
  entries_bytes: number;
  changes_bytes: number;
}

/** What the feed needs from the backend it feeds. */
export interface FeedTarget {
  /** The last change applied to the in-memory state. */
  position(): number;
  /** Applies complete transactions, in order, starting right after position(). */
  apply(rows: ChangeRow[]): void;
  /** Replaces the whole state from the tables (the feed was pruned past our position). */
  reload(c: Client | PgClient): Promise<void>;
  /** The head is behind our position (a restored backup): reload, even backwards. */
  rewound(c: Client | PgClient, head: number): Promise<void>;
  /** The head row as last read, with the local time around the read (the store's clock). */
  sawHead(head: HeadRow, sentAt: number, receivedAt: number): void;
  log(message: string): void;
}

const PAGE = 1000;

export function headQuery(schema: string): string {
  const s = quoteIdent(schema);
  return `SELECT seq, pruned_through, compactions, last_compaction,
      (extract(epoch from clock_timestamp()) * 1000)::float8 AS now,
      pg_total_relation_size('${s}.entries')::float8 AS entries_bytes,
      pg_total_relation_size('${s}.changes')::float8 AS changes_bytes
    FROM ${s}.head WHERE id = 1`;
}

/**
 * Reads every change after target.position() up to the head `upTo` and applies it, on `c` (the
 * feed's own connection, or a writer's inside its transaction). A gap means the feed was pruned
 * past us: the state is reloaded instead.
 */
export async function catchUp(
  c: Client | PgClient,
  schema: string,
  target: FeedTarget,
  upTo: number,
  prunedThrough: number,
): Promise<number> {
  if (prunedThrough > target.position()) {
    await target.reload(c);
    return 0;
  }
  let applied = 0;
  let carry: ChangeRow[] = [];
  let after = target.position();
  while (target.position() < upTo) {
    const r = await c.query<ChangeRow>(
      `SELECT seq, txn_last, op, namespace, key, body FROM ${quoteIdent(schema)}.changes WHERE seq > $1 ORDER BY seq LIMIT ${PAGE}`,
      [after],
    );
    const rows = r.rows;
    if (rows.length === 0) break;
    const first = carry[0] ?? rows[0];
    if (first && first.seq <= target.position()) {
      // Applied meanwhile by a writer of this process: drop what is already in.
      carry = carry.filter((x) => x.seq > target.position());
    }
    const all = carry.concat(rows.filter((x) => x.seq > target.position()));
    const start = all[0];
    if (start && start.seq !== target.position() + 1) {
      await target.reload(c);
      return applied;
    }
    const last = rows[rows.length - 1] as ChangeRow;
    after = last.seq;
    // Complete transactions only: up to the last row that ends its transaction.
    let cut = all.length;
    while (cut > 0 && (all[cut - 1] as ChangeRow).txn_last > after) cut--;
    if (cut > 0) {
      target.apply(all.slice(0, cut));
      applied += cut;
    }
    carry = all.slice(cut);
    if (rows.length < PAGE && carry.length === 0) break;
  }
  return applied;
}

export class Feed {
  private client: Client | undefined;
  private connecting = false;
  private running: Promise<void> | undefined;
  private again = false;
  private closed = false;
  private attempt = 0;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private pollTimer: NodeJS.Timeout | undefined;
  private downSince: number | undefined;
  private lastError = "";
  /** The highest head announced by a notification and not read yet. */
  private hint = 0;
  /** A poll asked for the head to be read. */
  private full = false;
  /** Resolves once the first connection is listening and caught up (or fails open()). */
  private firstConnect: { resolve: () => void; reject: (e: unknown) => void } | undefined;

  constructor(
    private readonly settings: PostgresSettings,
    private readonly session: SessionOptions,
    private readonly channel: string,
    private readonly target: FeedTarget,
  ) {}

  get connected(): boolean {
    return this.client !== undefined;
  }

  /** Since when the feed has been disconnected (epoch ms), if it is. */
  get disconnectedSince(): number | undefined {
    return this.downSince;
  }

  /** Connects, LISTENs and catches up; rejects when the first connection fails. */
  start(): Promise<void> {
    const first = new Promise<void>((resolve, reject) => {
      this.firstConnect = { resolve, reject };
    });
    void this.connect();
    this.pollTimer = setInterval(() => this.wake(), this.settings.pollMs);
    this.pollTimer.unref();
    return first;
  }

  /**
   * Reads what was committed since the last look; coalesces wake-ups that arrive meanwhile.
   * `committed` is a notification's payload (the head after that commit): one this process has
   * already applied (its own write) costs nothing, a newer one is read without asking the head.
   */
  wake(committed?: number): Promise<void> {
    if (!this.client || this.closed) return Promise.resolve();
    const hinted = committed !== undefined && Number.isSafeInteger(committed) && committed > 0;
    if (hinted && committed <= this.target.position()) return Promise.resolve();
    if (hinted) this.hint = Math.max(this.hint, committed);
    else this.full = true;
    if (this.running) {
      this.again = true;
      return this.running;
    }
    const run = (async () => {
      try {
        do {
          this.again = false;
          const c = this.client;
          if (!c) return;
          const hint = this.hint;
          const full = this.full;
          this.hint = 0;
          this.full = false;
          if (!full && hint > this.target.position()) {
            await catchUp(c, this.settings.schema, this.target, hint, 0);
            // Fewer rows than the notification announced: pruned meanwhile; the head says what to do.
            if (this.target.position() < hint) await this.readOnce(c);
          } else if (full) {
            await this.readOnce(c);
          }
        } while (this.again && this.client && !this.closed);
      } catch (error) {
        this.lost(error as Error);
      } finally {
        this.running = undefined;
      }
    })();
    this.running = run;
    return run;
  }

  private async readOnce(c: Client): Promise<void> {
    const sentAt = Date.now();
    // A head behind what was applied when it was asked for means a rewound database; behind
    // only what was applied since (a commit of this process answered meanwhile) it does not.
    const asked = this.target.position();
    const r = await c.query<HeadRow>(headQuery(this.settings.schema));
    const head = r.rows[0];
    if (!head) throw new Error(`the head row of ${this.settings.schema} is missing`);
    this.target.sawHead(head, sentAt, Date.now());
    if (head.seq < asked) {
      await this.target.rewound(c, head.seq);
      return;
    }
    if (head.seq > this.target.position() || head.pruned_through > this.target.position()) {
      await catchUp(c, this.settings.schema, this.target, head.seq, head.pruned_through);
    }
  }

  private async connect(): Promise<void> {
    if (this.closed || this.connecting || this.client) return;
    this.connecting = true;
    const c = createClient(this.settings, this.session);
    const onLost = (e?: Error) => {
      if (this.client === c) this.lost(e ?? new Error("the connection ended"));
    };
    c.on("error", onLost);
    c.on("end", () => onLost());
    c.on("notification", (n) => void this.wake(Number(n.payload)));
    try {
      await c.connect();
      await c.query(`LISTEN ${quoteIdent(this.channel)}`);
      if (this.closed) {
        await c.end().catch(() => {});
        return;
      }
      this.client = c;
      // Whatever was committed while we were away (or between load and LISTEN) is read now.
      await this.readOnce(c);
      if (this.downSince !== undefined) {
        this.target.log(
          `reconnected to PostgreSQL after ${Math.round((Date.now() - this.downSince) / 100) / 10} s; caught up to change ${this.target.position()}`,
        );
      }
      this.downSince = undefined;
      this.attempt = 0;
      this.firstConnect?.resolve();
      this.firstConnect = undefined;
    } catch (error) {
      this.client = undefined;
      c.removeAllListeners("end");
      c.on("error", () => {});
      await c.end().catch(() => {});
      if (this.firstConnect) {
        this.firstConnect.reject(error);
        this.firstConnect = undefined;
        this.closed = true;
        return;
      }
      this.noteDown(error as Error);
      this.scheduleReconnect();
    } finally {
      this.connecting = false;
    }
  }

  private lost(error: Error): void {
    const c = this.client;
    this.client = undefined;
    if (c) {
      c.removeAllListeners("end");
      c.on("error", () => {});
      c.end().catch(() => {});
    }
    if (this.closed) return;
    this.noteDown(error);
    this.scheduleReconnect();
  }

  private noteDown(error: Error): void {
    const message = error.message || String(error);
    if (this.downSince === undefined) {
      this.downSince = Date.now();
      this.target.log(
        `lost the change feed's connection to PostgreSQL (${message}): reads answer from the last state received until it is back; reconnecting`,
      );
    } else if (message !== this.lastError && this.attempt % 20 === 0) {
      this.target.log(`still reconnecting to PostgreSQL (${message})`);
    }
    this.lastError = message;
  }

  private scheduleReconnect(): void {
    if (this.closed || this.reconnectTimer) return;
    const delay = Math.min(5000, 100 * 2 ** Math.min(this.attempt, 6));
    this.attempt++;
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      void this.connect();
    }, delay);
    this.reconnectTimer.unref();
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.pollTimer) clearInterval(this.pollTimer);
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    await this.running?.catch(() => {});
    const c = this.client;
    this.client = undefined;
    if (c) {
      c.removeAllListeners("end");
      c.on("error", () => {});
      await c.end().catch(() => {});
    }
  }
}
