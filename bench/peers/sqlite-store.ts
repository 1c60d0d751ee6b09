/**
 * The benchmark's SQLite peer store: what a user would build instead of this project, with
 * better-sqlite3 and an FTS5 index. One `entries` table (unique per key and namespace) holds the
 * entry; an external-content FTS5 table indexes its key, value and tags, kept in step by triggers in
 * the same transaction as every write, and ranks with bm25 weighted like this project's BM25F
 * (key 3, value 1, tags 2). WAL with synchronous=FULL: every commit is fsynced before it is
 * acknowledged, as this project fsyncs its journal. Several processes share one file: busy_timeout
 * makes a writer wait for the lock instead of failing, and multi-statement writes start IMMEDIATE so
 * they take the write lock up front (a deferred transaction that upgrades fails at once with
 * SQLITE_BUSY instead of waiting).
 */
import { randomUUID } from "node:crypto";
import { closeSync, mkdirSync, openSync } from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";

export const PEER_DB = path.join("memory", "sqlite-peer.db");

/** How long a writer waits for another process's write lock before giving up. */
const BUSY_TIMEOUT_MS = 10_000;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS entries (
  id INTEGER PRIMARY KEY,
  uuid TEXT NOT NULL,
  key TEXT NOT NULL,
  namespace TEXT NOT NULL,
  value TEXT NOT NULL,
  type TEXT NOT NULL,
  tags TEXT NOT NULL,
  metadata TEXT NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  expires_at TEXT,
  version INTEGER NOT NULL,
  UNIQUE (key, namespace)
);
CREATE INDEX IF NOT EXISTS entries_expiring ON entries (expires_at) WHERE expires_at IS NOT NULL;
CREATE VIRTUAL TABLE IF NOT EXISTS entries_fts USING fts5(
  key, value, tags, content='entries', content_rowid='id', tokenize='porter unicode61'
);
CREATE TRIGGER IF NOT EXISTS entries_ai AFTER INSERT ON entries BEGIN
  INSERT INTO entries_fts(rowid, key, value, tags) VALUES (new.id, new.key, new.value, new.tags);
END;
CREATE TRIGGER IF NOT EXISTS entries_ad AFTER DELETE ON entries BEGIN
  INSERT INTO entries_fts(entries_fts, rowid, key, value, tags) VALUES ('delete', old.id, old.key, old.value, old.tags);
END;
CREATE TRIGGER IF NOT EXISTS entries_au AFTER UPDATE ON entries BEGIN
  INSERT INTO entries_fts(entries_fts, rowid, key, value, tags) VALUES ('delete', old.id, old.key, old.value, old.tags);
  INSERT INTO entries_fts(rowid, key, value, tags) VALUES (new.id, new.key, new.value, new.tags);
END;
`;

export interface PeerEntry {
  id: string;
  key: string;
  namespace: string;
  value: unknown;
  type: string;
  tags: string[];
  metadata: Record<string, unknown>;
  createdAt: string;
  updatedAt: string;
  expiresAt?: string;
  version: number;
}

export interface PeerStoreInput {
  key: string;
  value: unknown;
  namespace?: string;
  type?: string;
  tags?: string[];
  metadata?: Record<string, unknown>;
  /** Milliseconds to live. */
  ttlMs?: number;
}

export interface PeerHit {
  key: string;
  namespace: string;
  value: unknown;
  type: string;
  tags: string[];
  score: number;
  version: number;
  updatedAt: string;
  expiresAt?: string;
}

interface Row {
  uuid: string;
  key: string;
  namespace: string;
  value: string;
  type: string;
  tags: string;
  metadata: string;
  created_at: string;
  updated_at: string;
  expires_at: string | null;
  version: number;
  score?: number;
}

/** Opens (creating if needed) the database file with the peer's pragmas and schema. */
export function openPeerDb(file: string, options: { readonly?: boolean } = {}): Database.Database {
  if (!options.readonly) {
    mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    // Created 0600 before SQLite opens it: SQLite gives its -wal and -shm files the same mode.
    closeSync(openSync(file, "a", 0o600));
  }
  const db = new Database(file, { readonly: options.readonly ?? false });
  db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
  if (options.readonly) return db;
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = FULL");
  db.exec(SCHEMA);
  return db;
}

/** Words of a search text as an FTS5 query: each quoted (no FTS syntax from the caller), OR-ed. */
export function ftsQuery(text: string): string | undefined {
  const words = text.toLowerCase().match(/[\p{L}\p{N}]+/gu);
  if (!words || words.length === 0) return undefined;
  return [...new Set(words)]
    .slice(0, 64)
    .map((w) => `"${w}"`)
    .join(" OR ");
}

/** The smallest string above every string that starts with `prefix` (UTF-8 order = code points). */
function prefixEnd(prefix: string): string {
  const cps = [...prefix];
  const last = (cps.pop() as string).codePointAt(0) as number;
  const next = last === 0xd7ff ? 0xe000 : last + 1;
  return cps.join("") + String.fromCodePoint(Math.min(next, 0x10ffff));
}

const COLUMNS =
  "e.uuid, e.key, e.namespace, e.value, e.type, e.tags, e.metadata, e.created_at, e.updated_at, e.expires_at, e.version";

/** Prepared statements over one connection; every method is one statement or one transaction. */
export class SqliteStore {
  private readonly upsert: Database.Statement;
  private readonly getOne: Database.Statement;
  private readonly byKey: Database.Statement;
  private readonly byKeyNs: Database.Statement;
  private readonly byPrefix: Database.Statement;
  private readonly ranked: Database.Statement;
  private readonly rankedNs: Database.Statement;
  private readonly rankedAll: Database.Statement;
  private readonly anyExpired: Database.Statement;
  private readonly newest: Database.Statement;
  private readonly newestNs: Database.Statement;
  private readonly deleteOne: Database.Statement;
  private readonly keysOne: Database.Statement;
  private readonly keysPrefix: Database.Statement;
  private readonly countNs: Database.Statement;

  constructor(readonly db: Database.Database) {
    // An expired entry that is stored again starts over (new id, version 1), as a new key would.
    this.upsert = db.prepare(`
      INSERT INTO entries (uuid, key, namespace, value, type, tags, metadata, created_at, updated_at, expires_at, version)
      VALUES (@uuid, @key, @namespace, @value, @type, @tags, @metadata, @now, @now, @expiresAt, 1)
      ON CONFLICT (key, namespace) DO UPDATE SET
        uuid = CASE WHEN entries.expires_at <= excluded.updated_at THEN excluded.uuid ELSE entries.uuid END,
        created_at = CASE WHEN entries.expires_at <= excluded.updated_at THEN excluded.created_at ELSE entries.created_at END,
        version = CASE WHEN entries.expires_at <= excluded.updated_at THEN 1 ELSE entries.version + 1 END,
        value = excluded.value, type = excluded.type, tags = excluded.tags, metadata = excluded.metadata,
        updated_at = excluded.updated_at, expires_at = excluded.expires_at
      RETURNING uuid, created_at, updated_at, expires_at, version`);
    const live = "(e.expires_at IS NULL OR e.expires_at > @now)";
    this.getOne = db.prepare(
      `SELECT ${COLUMNS} FROM entries e WHERE e.key = @key AND e.namespace = @namespace AND ${live}`,
    );
    this.byKey = db.prepare(`SELECT ${COLUMNS} FROM entries e WHERE e.key = @key AND ${live} LIMIT @limit`);
    this.byKeyNs = this.getOne;
    this.byPrefix = db.prepare(
      `SELECT ${COLUMNS} FROM entries e WHERE e.key >= @lo AND e.key < @hi AND (@namespace IS NULL OR e.namespace = @namespace) AND ${live} ORDER BY e.key, e.namespace LIMIT @limit`,
    );
    const rankedSql = (ns: boolean) =>
      `SELECT ${COLUMNS}, -bm25(entries_fts, 3.0, 1.0, 2.0) AS score
       FROM entries_fts JOIN entries e ON e.id = entries_fts.rowid
       WHERE entries_fts MATCH @match${ns ? " AND e.namespace = @namespace" : ""} AND ${live}
       ORDER BY score DESC, e.namespace, e.key LIMIT @limit`;
    this.ranked = db.prepare(rankedSql(false));
    this.rankedNs = db.prepare(rankedSql(true));
    // With no filter to apply, rank in the FTS index alone and read only the top rows: checking
    // every match's row for its expiry costs more than the ranking itself.
    this.rankedAll = db.prepare(
      `SELECT ${COLUMNS}, top.score FROM (
         SELECT rowid AS id, -bm25(entries_fts, 3.0, 1.0, 2.0) AS score FROM entries_fts
         WHERE entries_fts MATCH @match ORDER BY score DESC LIMIT @limit
       ) top JOIN entries e ON e.id = top.id ORDER BY top.score DESC, e.namespace, e.key`,
    );
    this.anyExpired = db
      .prepare("SELECT 1 FROM entries WHERE expires_at IS NOT NULL AND expires_at <= @now LIMIT 1")
      .pluck();
    this.newest = db.prepare(
      `SELECT ${COLUMNS} FROM entries e WHERE ${live} ORDER BY e.updated_at DESC LIMIT @limit`,
    );
    this.newestNs = db.prepare(
      `SELECT ${COLUMNS} FROM entries e WHERE e.namespace = @namespace AND ${live} ORDER BY e.updated_at DESC LIMIT @limit`,
    );
    this.deleteOne = db.prepare("DELETE FROM entries WHERE key = @key AND namespace = @namespace");
    this.keysOne = db.prepare("SELECT key FROM entries WHERE key = @key AND namespace = @namespace").pluck();
    this.keysPrefix = db
      .prepare(
        "SELECT key FROM entries WHERE key >= @lo AND key < @hi AND namespace = @namespace ORDER BY key",
      )
      .pluck();
    this.countNs = db.prepare("SELECT count(*) AS n FROM entries WHERE namespace = @namespace");
  }

  static open(file: string): SqliteStore {
    return new SqliteStore(openPeerDb(file));
  }

  close(): void {
    this.db.close();
  }

  /** One entry stored; `created` is false when an existing live entry was replaced. */
  store(input: PeerStoreInput, now = new Date()): { entry: PeerEntry; created: boolean } {
    const at = now.toISOString();
    const expiresAt = input.ttlMs !== undefined ? new Date(now.getTime() + input.ttlMs).toISOString() : null;
    const namespace = input.namespace ?? "default";
    const row = this.upsert.get({
      uuid: randomUUID(),
      key: input.key,
      namespace,
      value: JSON.stringify(input.value),
      type: input.type ?? "semantic",
      tags: JSON.stringify(input.tags ?? []),
      metadata: JSON.stringify(input.metadata ?? {}),
      now: at,
      expiresAt,
    }) as Pick<Row, "uuid" | "created_at" | "updated_at" | "expires_at" | "version">;
    return {
      created: row.version === 1,
      entry: {
        id: row.uuid,
        key: input.key,
        namespace,
        value: input.value,
        type: input.type ?? "semantic",
        tags: input.tags ?? [],
        metadata: input.metadata ?? {},
        createdAt: row.created_at,
        updatedAt: row.updated_at,
        ...(row.expires_at ? { expiresAt: row.expires_at } : {}),
        version: row.version,
      },
    };
  }

  /** Many entries in one IMMEDIATE transaction: one lock acquisition and one fsync for all. */
  storeMany(inputs: readonly PeerStoreInput[]): Array<{ entry: PeerEntry; created: boolean }> {
    const now = new Date();
    return this.db.transaction(() => inputs.map((i) => this.store(i, now))).immediate();
  }

  get(key: string, namespace = "default"): PeerEntry | undefined {
    const row = this.getOne.get({ key, namespace, now: new Date().toISOString() }) as Row | undefined;
    return row ? toEntry(row) : undefined;
  }

  /** Ranked full text (`query`), exact key, key prefix, or the newest entries; at most `limit`. */
  query(q: {
    query?: string;
    key?: string;
    keyPrefix?: string;
    namespace?: string;
    limit?: number;
  }): PeerHit[] {
    const now = new Date().toISOString();
    const limit = q.limit ?? 10;
    const namespace = q.namespace ?? null;
    let rows: Row[];
    if (q.key !== undefined) {
      rows = (namespace === null ? this.byKey : this.byKeyNs).all({
        key: q.key,
        namespace,
        now,
        limit,
      }) as Row[];
    } else if (q.keyPrefix) {
      rows = this.byPrefix.all({
        lo: q.keyPrefix,
        hi: prefixEnd(q.keyPrefix),
        namespace,
        now,
        limit,
      }) as Row[];
    } else {
      const match = q.query !== undefined ? ftsQuery(q.query) : undefined;
      if (match !== undefined) {
        const unfiltered = namespace === null && this.anyExpired.get({ now }) === undefined;
        const stmt = unfiltered ? this.rankedAll : namespace === null ? this.ranked : this.rankedNs;
        rows = stmt.all({ match, namespace, now, limit }) as Row[];
      } else
        rows = (namespace === null ? this.newest : this.newestNs).all({ namespace, now, limit }) as Row[];
    }
    return rows.map((r) => {
      const { id: _id, metadata: _metadata, createdAt: _createdAt, ...hit } = toEntry(r);
      return { ...hit, score: r.score ?? 0 };
    });
  }

  /** Deletes one key or every key with a prefix, in one IMMEDIATE transaction; returns the keys. */
  delete(d: { key?: string; keyPrefix?: string; namespace?: string; dryRun?: boolean }): string[] {
    const namespace = d.namespace ?? "default";
    return this.db
      .transaction(() => {
        const keys = (
          d.key !== undefined
            ? this.keysOne.all({ key: d.key, namespace })
            : this.keysPrefix.all({ lo: d.keyPrefix, hi: prefixEnd(d.keyPrefix ?? ""), namespace })
        ) as string[];
        if (!d.dryRun) for (const key of keys) this.deleteOne.run({ key, namespace });
        return keys;
      })
      .immediate();
  }

  countNamespace(namespace: string): number {
    return (this.countNs.get({ namespace }) as { n: number }).n;
  }
}

function toEntry(r: Row): PeerEntry {
  return {
    id: r.uuid,
    key: r.key,
    namespace: r.namespace,
    value: JSON.parse(r.value),
    type: r.type,
    tags: JSON.parse(r.tags) as string[],
    metadata: JSON.parse(r.metadata) as Record<string, unknown>,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    ...(r.expires_at ? { expiresAt: r.expires_at } : {}),
    version: r.version,
  };
}

/**
 * Bulk load for the benchmark: `count` entries written straight into a fresh file in one
 * transaction (synchronous off: a file that does not survive is rebuilt), the FTS index built from
 * the table in one pass ('rebuild': 5x faster than the insert trigger row by row) and merged into
 * one b-tree ('optimize'), then a checkpoint so the file stands alone without its -wal. The
 * database ends exactly as the server would have it: same schema, same triggers.
 */
export function bulkLoad(file: string, count: number, entryAt: (i: number) => PeerEntry): void {
  const db = openPeerDb(file);
  try {
    db.pragma("synchronous = OFF");
    db.pragma("cache_size = -262144");
    db.exec("DROP TRIGGER entries_ai");
    const insert = db.prepare(`
      INSERT INTO entries (uuid, key, namespace, value, type, tags, metadata, created_at, updated_at, expires_at, version)
      VALUES (@id, @key, @namespace, @value, @type, @tags, @metadata, @createdAt, @updatedAt, @expiresAt, @version)`);
    db.transaction(() => {
      for (let i = 0; i < count; i++) {
        const e = entryAt(i);
        insert.run({
          ...e,
          value: JSON.stringify(e.value),
          tags: JSON.stringify(e.tags),
          metadata: JSON.stringify(e.metadata),
          expiresAt: e.expiresAt ?? null,
        });
      }
    })();
    db.exec("INSERT INTO entries_fts(entries_fts) VALUES ('rebuild')");
    db.exec(SCHEMA);
    db.exec("INSERT INTO entries_fts(entries_fts) VALUES ('optimize')");
    db.pragma("wal_checkpoint(TRUNCATE)");
  } finally {
    db.close();
  }
}
