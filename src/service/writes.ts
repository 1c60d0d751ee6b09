/**
 * The write side of the service: the one transaction API (`Transaction`, over Backend.write),
 * and the rules every stored entry passes: the configured limits, versions and `ifVersion`,
 * `onConflict`, TTLs, retention stamps, and the identity an imported record brings. Batches are
 * validated entry by entry and written in chunks of transactions that share appends and fsyncs.
 */
import { randomUUID } from "node:crypto";
import type { MemoryConfig } from "../config/config.js";
import { ttlToMs } from "../domain/duration.js";
import {
  DEFAULT_NAMESPACE,
  DEFAULT_TYPE,
  type Entry,
  MAX_DATE_MS,
  MAX_VERSION,
  NamespaceSchema,
  type OnConflict,
} from "../domain/entry.js";
import { errorMessage, MemoryError } from "../domain/errors.js";
import { parseInput, printable } from "../domain/input.js";
import { isExpired, type Retention, stampOf } from "../domain/retention.js";
import type { TxView, WriteOptions } from "../store/backend.js";
import { runBatch } from "./executor.js";
import type { BatchStoreInput, BatchStoreOutput, ItemError } from "./operations/batch-store.js";
import type { OperationContext } from "./operations/operation.js";
import { type EntryRef, type StoreInput, StoreInputSchema, type StoreOutput } from "./operations/store.js";

/**
 * What a write transaction sees: the store at the moment it runs (under the writer lock for the
 * JSON store), its own staged changes, and the store's time. `get` answers live entries, as
 * every read does; `stored` also answers an expired entry not yet removed (versions count on
 * across one, cleanup removes it).
 */
export class Transaction {
  constructor(
    private readonly tx: TxView,
    private readonly retention: Retention,
  ) {}

  /** The store's time for this transaction (epoch ms): what entries are stamped and judged with. */
  get now(): number {
    return this.tx.now;
  }

  get(namespace: string, key: string): Entry | undefined {
    const e = this.tx.get(namespace, key);
    return e && !isExpired(e, this.retention, this.tx.now) ? e : undefined;
  }

  stored(namespace: string, key: string): Entry | undefined {
    return this.tx.get(namespace, key);
  }

  put(entry: Entry): void {
    this.tx.put(entry);
  }

  del(namespace: string, key: string): void {
    this.tx.del(namespace, key);
  }
}

export type Transact = <R>(fn: (tx: Transaction) => R, options?: WriteOptions) => Promise<R>;

/** What the write rules depend on: the project's config and retention, and the transaction API. */
export interface WriteContext {
  config: MemoryConfig;
  retention: Retention;
  transact: Transact;
}

/** An input that passed every check that can fail before the lock, normalized. */
export interface Prepared {
  input: StoreInput;
  namespace: string;
  value: unknown;
  tags: string[] | undefined;
  ttlMs: number | undefined;
  origin?: Origin;
}

type Origin = Partial<Pick<Entry, "id" | "createdAt" | "updatedAt" | "expiresAt" | "version">>;

export type ApplyResult = { outcome: "created" | "updated"; entry: Entry } | { outcome: "skipped" };

export async function storeEntry(w: WriteContext, input: StoreInput): Promise<StoreOutput> {
  const prepared = prepare(w.config, input, input.namespace ?? DEFAULT_NAMESPACE);
  return w.transact((tx) => {
    const r = applyStore(tx, prepared, "overwrite", w.retention);
    if (r.outcome === "skipped") throw new Error("unreachable: overwrite never skips");
    return { entry: ref(r.entry), created: r.outcome === "created" };
  });
}

/** Checks the configured limits and normalizes; everything that can fail before the lock does. */
export function prepare(config: MemoryConfig, input: StoreInput, namespace: string): Prepared {
  const limits = config.limits;
  const ns = NamespaceSchema.safeParse(namespace);
  if (!ns.success)
    throw new MemoryError("INVALID_INPUT", ns.error.issues[0]?.message ?? "namespace is invalid");
  if (input.key.length > limits.maxKeyLength) {
    throw new MemoryError(
      "LIMIT_EXCEEDED",
      `key is ${input.key.length} characters; the limit is ${limits.maxKeyLength} (memory.limits.maxKeyLength): use a shorter key`,
    );
  }
  if (input.value === undefined) {
    throw new MemoryError(
      "INVALID_INPUT",
      "value is required: give any JSON value (string, number, object, ...)",
    );
  }
  let json: string;
  try {
    json = JSON.stringify(input.value);
  } catch (error) {
    throw new MemoryError("INVALID_INPUT", `value cannot be stored as JSON: ${errorMessage(error)}`);
  }
  const bytes = Buffer.byteLength(json, "utf8");
  if (bytes > limits.maxValueBytes) {
    throw new MemoryError(
      "LIMIT_EXCEEDED",
      `value is ${bytes} bytes; the limit is ${limits.maxValueBytes} (memory.limits.maxValueBytes): store less, or split it across keys`,
    );
  }
  const tags = input.tags ? [...new Set(input.tags)] : undefined;
  if (tags && tags.length > limits.maxTags) {
    throw new MemoryError(
      "LIMIT_EXCEEDED",
      `tags has ${tags.length} items; the limit is ${limits.maxTags} (memory.limits.maxTags): keep the most useful ones`,
    );
  }
  if (input.metadata) {
    const metaBytes = Buffer.byteLength(JSON.stringify(input.metadata), "utf8");
    if (metaBytes > limits.maxMetadataBytes) {
      throw new MemoryError(
        "LIMIT_EXCEEDED",
        `metadata is ${metaBytes} bytes; the limit is ${limits.maxMetadataBytes} (memory.limits.maxMetadataBytes)`,
      );
    }
  }
  const ttlMs = input.ttl !== undefined ? ttlToMs(input.ttl) : undefined;
  // The value is stored as it round-trips through JSON, so what is read back is what was stored
  // (undefined members dropped, dates as strings, NaN as null); strings, booleans and finite
  // numbers already are their own JSON, and skipping the parse matters for large batches.
  const v = input.value;
  const plain =
    typeof v === "string" || typeof v === "boolean" || (typeof v === "number" && Number.isFinite(v));
  const value = plain ? v : JSON.parse(json);
  return { input, namespace, value, tags, ttlMs };
}

/** Stores one prepared entry inside a transaction: versions, conflicts, expiry and stamps decided here. */
export function applyStore(
  tx: Transaction,
  p: Prepared,
  onConflict: OnConflict,
  retention: Retention,
): ApplyResult {
  // Stamped with the store's time, not this process's (store/json/clock.ts).
  const now = tx.now;
  const stamp = new Date(now).toISOString();
  const found = tx.stored(p.namespace, p.input.key);
  const existing = found && !isExpired(found, retention, now) ? found : undefined;
  if (p.input.ifVersion !== undefined) {
    const current = existing?.version ?? 0;
    if (current !== p.input.ifVersion) {
      throw new MemoryError(
        "VERSION_CONFLICT",
        existing
          ? `key '${printable(p.input.key)}' in namespace '${p.namespace}' is at version ${current}, not ${p.input.ifVersion}: read it again and retry with ifVersion ${current}`
          : `key '${printable(p.input.key)}' does not exist in namespace '${p.namespace}' (ifVersion ${p.input.ifVersion}): use ifVersion 0 to create it`,
        { current },
      );
    }
  }
  if (existing && onConflict === "skip") return { outcome: "skipped" };
  const o = p.origin;
  if (existing && onConflict === "error") {
    throw new MemoryError(
      "ALREADY_EXISTS",
      `key '${printable(p.input.key)}' already exists in namespace '${p.namespace}' (onConflict is "error")`,
    );
  }
  // Versions keep counting across an expired predecessor, so a stale ifVersion can never match.
  const version = Math.max((found?.version ?? 0) + 1, o?.version ?? 0);
  if (version > MAX_VERSION) {
    throw new MemoryError(
      "LIMIT_EXCEEDED",
      `key '${printable(p.input.key)}' in namespace '${p.namespace}' is at version ${found?.version}, the last one a version can count to: delete it and store it again (versions restart at 1)`,
    );
  }
  const expiresAt =
    p.ttlMs !== undefined
      ? new Date(now + p.ttlMs).toISOString()
      : o
        ? o.expiresAt
        : existing
          ? existing.expiresAt
          : undefined;
  const entry: Entry = {
    id: o?.id ?? existing?.id ?? randomUUID(),
    key: p.input.key,
    namespace: p.namespace,
    value: p.value,
    type: p.input.type ?? existing?.type ?? DEFAULT_TYPE,
    tags: p.tags ?? existing?.tags ?? [],
    metadata: p.input.metadata ?? existing?.metadata ?? {},
    createdAt: o?.createdAt ?? existing?.createdAt ?? stamp,
    updatedAt: o?.updatedAt ?? stamp,
    ...(expiresAt ? { expiresAt } : {}),
    version,
    retention: stampOf(p.namespace, retention),
  };
  tx.put(entry);
  return { outcome: existing ? "updated" : "created", entry };
}

/**
 * batch_store. `preserve` (import and restore) keeps each raw entry's id, createdAt, updatedAt,
 * expiresAt and version when it carries them, so a restored entry ages exactly as it did before.
 */
export async function batchStore(
  w: WriteContext,
  input: BatchStoreInput,
  progress: OperationContext = {},
  options: { preserve?: boolean } = {},
): Promise<BatchStoreOutput> {
  const { config, retention } = w;
  const onConflict = input.onConflict ?? "overwrite";
  const total = input.entries.length;
  const errors: ItemError[] = [];
  const prepared: Array<{ index: number; p: Prepared }> = [];
  input.entries.forEach((raw, index) => {
    try {
      const entry = parseInput(StoreInputSchema, raw, `entries[${index}]`);
      const p = prepare(config, entry, entry.namespace ?? input.namespace ?? DEFAULT_NAMESPACE);
      if (options.preserve) p.origin = originOf(raw, `entries[${index}]`);
      prepared.push({ index, p });
    } catch (error) {
      const key = typeof raw.key === "string" ? raw.key : undefined;
      errors.push({ index, ...(key !== undefined ? { key } : {}), message: errorMessage(error) });
    }
  });
  const out: BatchStoreOutput = { stored: 0, updated: 0, skipped: 0, failed: 0, errors };

  if (input.atomic) {
    if (errors.length > 0) {
      out.failed = total;
      out.errors = errors.map((e) => ({
        ...e,
        message: `${e.message} (atomic batch: nothing was stored)`,
      }));
      return out;
    }
    try {
      const results = await w.transact(
        (tx) => prepared.map(({ p }) => applyStore(tx, p, onConflict, retention)),
        { atomic: true },
      );
      for (const r of results) count(out, r);
    } catch (error) {
      out.failed = total;
      out.errors = [{ index: -1, message: `${errorMessage(error)} (atomic batch: nothing was stored)` }];
    }
    progress.onProgress?.(total, total);
    return out;
  }

  // Each chunk is one transaction: entries in it are checked and written together under one
  // lock hold, and concurrent chunks share appends through group commit.
  const chunkSize = config.batchtools.enabled ? config.performance.batchWriteSize : 1;
  const chunks: Array<typeof prepared> = [];
  for (let i = 0; i < prepared.length; i += chunkSize) chunks.push(prepared.slice(i, i + chunkSize));
  let done = errors.length;
  if (errors.length) progress.onProgress?.(done, total);
  const report = await runBatch(
    chunks,
    async (chunk) => {
      const results = await w.transact((tx) =>
        chunk.map(({ index, p }) => {
          try {
            return { index, result: applyStore(tx, p, onConflict, retention) };
          } catch (error) {
            if (!(error instanceof MemoryError)) throw error;
            return { index, key: p.input.key, error: error.message };
          }
        }),
      );
      done += chunk.length;
      progress.onProgress?.(done, total);
      return results;
    },
    {
      concurrency: config.batchtools.enabled ? config.batchtools.maxConcurrent : 1,
      // The executor's items here are transactions: a chunk of batchSize of them lets
      // maxConcurrent run side by side, so group commit folds them into few lock + fsync rounds.
      chunkSize: config.batchtools.batchSize,
      ...(progress.signal ? { signal: progress.signal } : {}),
    },
  );
  report.outcomes.forEach((o, i) => {
    const chunk = chunks[i] ?? [];
    if (o.ok) {
      for (const item of o.value) {
        if ("error" in item) errors.push({ index: item.index, key: item.key, message: item.error as string });
        else count(out, item.result);
      }
    } else {
      for (const { index, p } of chunk) errors.push({ index, key: p.input.key, message: o.message });
    }
  });
  errors.sort((a, b) => a.index - b.index);
  out.failed = errors.length;
  return out;
}

/**
 * The identity fields an imported record brings, checked so that what is stored can always be
 * read back over MCP (whose output schemas hold versions to safe integers and dates to dates):
 * a field that is there but out of range is the record's error, naming the field; dates are
 * normalized to ISO 8601 UTC.
 */
function originOf(raw: Record<string, unknown>, what: string): Origin {
  const o: Origin = {};
  if (typeof raw.id === "string" && raw.id.length > 0 && raw.id.length <= 200) o.id = raw.id;
  for (const field of ["createdAt", "updatedAt", "expiresAt"] as const) {
    const v = raw[field];
    if (v === undefined || v === null) continue;
    const ms = typeof v === "string" ? Date.parse(v) : Number.NaN;
    if (Number.isNaN(ms)) {
      throw new MemoryError(
        "INVALID_INPUT",
        `${what}: ${field} '${printable(v)}' is not a date: use ISO 8601 such as 2026-01-31T12:00:00Z, or leave it out`,
      );
    }
    if (ms < 0 || ms > MAX_DATE_MS) {
      throw new MemoryError(
        "INVALID_INPUT",
        `${what}: ${field} '${printable(v)}' is out of range: use a date from 1970-01-01 to 9999-12-31, or leave it out`,
      );
    }
    o[field] = new Date(ms).toISOString();
  }
  const version = raw.version;
  if (version !== undefined && version !== null) {
    if (typeof version !== "number" || !Number.isInteger(version) || version < 1 || version > MAX_VERSION) {
      throw new MemoryError(
        "INVALID_INPUT",
        `${what}: version ${printable(version)} is out of range: versions are whole numbers from 1 to ${MAX_VERSION}; leave it out to start at 1`,
      );
    }
    o.version = version;
  }
  return o;
}

function count(out: BatchStoreOutput, r: ApplyResult): void {
  if (r.outcome === "created") out.stored++;
  else if (r.outcome === "updated") out.updated++;
  else out.skipped++;
}

function ref(e: Entry): EntryRef {
  return {
    id: e.id,
    key: e.key,
    namespace: e.namespace,
    version: e.version,
    createdAt: e.createdAt,
    updatedAt: e.updatedAt,
    ...(e.expiresAt ? { expiresAt: e.expiresAt } : {}),
  };
}
