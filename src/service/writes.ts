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
import { findSecrets, maskSecrets } from "../domain/secrets.js";
import type { TxView, WriteOptions } from "../store/backend.js";
import { type DuplicateIndex, MAX_LISTED_DUPLICATES, valueDigest } from "./duplicates.js";
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
  /** Which keys hold a value (duplicates.ts); absent: duplicates are not looked for. */
  duplicates?: DuplicateIndex;
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
  const kinds = screenSecrets(w.config, prepared);
  const mask = kinds.length > 0 && w.config.secrets === "mask";
  const secrets = kinds.length
    ? {
        secrets: {
          kinds,
          masked: mask,
          note: mask
            ? `The value looked like it held a secret (${kinds.join(", ")}): it was masked before storing (memory.secrets = mask).`
            : `Warning: the value looks like it holds a secret (${kinds.join(", ")}), now readable by every agent of the project and by anyone with ./memory: delete it with memory_delete unless it is meant to be there, or set memory.secrets to "mask".`,
        },
      }
    : {};
  const digest = w.duplicates ? valueDigest(prepared.value) : undefined;
  const onDuplicate = input.onDuplicate ?? "keep";
  return w.transact((tx) => {
    const ns = prepared.namespace;
    const same = JSON.stringify(prepared.value);
    // The digest index proposes; the transaction's own view decides (live, and truly identical).
    // Only the first MAX_LISTED_DUPLICATES candidates are checked and named: the answer and the
    // cost of a store stay bounded however many keys hold the value; the others are counted.
    const twins: Entry[] = [];
    let more = 0;
    if (digest && w.duplicates) {
      const candidates = w.duplicates.keysWith(ns, digest);
      let checked = candidates.has(input.key) ? 1 : 0;
      for (const k of candidates) {
        if (twins.length === MAX_LISTED_DUPLICATES) break;
        if (k === input.key) continue;
        checked++;
        const e = tx.get(ns, k);
        if (e && JSON.stringify(e.value) === same) twins.push(e);
      }
      more = candidates.size - checked;
      twins.sort((a, b) => (a.key < b.key ? -1 : 1));
    }
    const keys = twins.map((e) => e.key);
    const counted = more > 0 ? { more } : {};
    const andMore = more > 0 ? ` and ${more} more key(s)` : "";
    const first = twins[0];
    if (first && onDuplicate === "skip") {
      return {
        entry: ref(first),
        created: false,
        duplicate: {
          keys,
          ...counted,
          action: "skipped" as const,
          note: `The value is already stored as '${first.key}': nothing was stored (onDuplicate: skip).`,
        },
        ...secrets,
      };
    }
    if (first && onDuplicate === "merge-tags") {
      const tags = [...new Set([...first.tags, ...(prepared.tags ?? [])])];
      const merged = applyStore(
        tx,
        {
          input: { key: first.key, value: first.value },
          namespace: ns,
          value: first.value,
          tags,
          ttlMs: undefined,
        },
        "overwrite",
        w.retention,
      );
      if (merged.outcome === "skipped") throw new Error("unreachable: overwrite never skips");
      return {
        entry: ref(merged.entry),
        created: false,
        duplicate: {
          keys,
          ...counted,
          action: "merged-tags" as const,
          note: `The value is already stored as '${first.key}': its tags now include these (onDuplicate: merge-tags).`,
        },
        ...secrets,
      };
    }
    const r = applyStore(tx, prepared, "overwrite", w.retention);
    if (r.outcome === "skipped") throw new Error("unreachable: overwrite never skips");
    return {
      entry: ref(r.entry),
      created: r.outcome === "created",
      ...(keys.length
        ? {
            duplicate: {
              keys,
              ...counted,
              action: "kept" as const,
              note: `The same value is also stored under ${keys.map((k) => `'${k}'`).join(", ")}${andMore} in namespace '${ns}': both are kept (pass onDuplicate: skip or merge-tags to avoid the copy, or delete one).`,
            },
          }
        : {}),
      ...secrets,
    };
  });
}

/**
 * The kinds of secret a prepared value seems to hold (domain/secrets.ts); masks them in place
 * when memory.secrets is "mask".
 */
function screenSecrets(config: MemoryConfig, p: Prepared): string[] {
  const kinds = findSecrets(p.value);
  if (kinds.length > 0 && config.secrets === "mask") p.value = maskSecrets(p.value);
  return kinds;
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
  const secretKeys: string[] = [];
  const secretKinds = new Set<string>();
  input.entries.forEach((raw, index) => {
    try {
      const entry = parseInput(StoreInputSchema, raw, `entries[${index}]`);
      const p = prepare(config, entry, entry.namespace ?? input.namespace ?? DEFAULT_NAMESPACE);
      if (options.preserve) p.origin = originOf(raw, `entries[${index}]`);
      const kinds = screenSecrets(config, p);
      if (kinds.length) {
        secretKeys.push(p.input.key);
        for (const k of kinds) secretKinds.add(k);
      }
      prepared.push({ index, p });
    } catch (error) {
      const key = typeof raw.key === "string" ? raw.key : undefined;
      errors.push({ index, ...(key !== undefined ? { key } : {}), message: errorMessage(error) });
    }
  });
  const out: BatchStoreOutput = { stored: 0, updated: 0, skipped: 0, failed: 0, errors };
  if (secretKeys.length) {
    const masked = config.secrets === "mask";
    const named = secretKeys
      .slice(0, 20)
      .map((k) => `'${printable(k)}'`)
      .join(", ");
    out.secrets = {
      entries: secretKeys.length,
      keys: secretKeys.slice(0, 20),
      kinds: [...secretKinds],
      masked,
      note: masked
        ? `${secretKeys.length} value(s) looked like they held secrets (${[...secretKinds].join(", ")}): masked before storing (memory.secrets = mask).`
        : `Warning: ${secretKeys.length} value(s) look like they hold secrets (${[...secretKinds].join(", ")}): ${named}${secretKeys.length > 20 ? ", ..." : ""}. Delete them unless they are meant to be there, or set memory.secrets to "mask".`,
    };
  }

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
