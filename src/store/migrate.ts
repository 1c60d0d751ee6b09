/**
 * Moving a whole store from one backend to another (the JSON files to PostgreSQL, or back),
 * entry for entry: ids, versions, timestamps, expiry and retention stamps are kept as they are,
 * so nothing ages or renumbers on the way. Written only through the Backend contract.
 *
 * The target must be empty: a migration is a copy, not a merge (import merges). Entries go in
 * atomic chunks; afterwards both sides are read back and compared by count and by a SHA-256 over
 * every entry in canonical form (sorted by namespace and key, object keys sorted), so a
 * migration that reports success has been checked, not assumed.
 */
import { createHash } from "node:crypto";
import type { Entry } from "../domain/entry.js";
import { MemoryError } from "../domain/errors.js";
import type { Backend } from "./backend.js";

export interface MigrateReport {
  entries: number;
  namespaces: number;
  source: { entries: number; sha256: string };
  target: { entries: number; sha256: string };
}

/** Entries per atomic transaction: bounds one transaction's size, not the whole migration's. */
const CHUNK = 1000;

export async function migrateStore(
  source: Backend,
  target: Backend,
  onProgress?: (done: number, total: number) => void,
): Promise<MigrateReport> {
  source.refresh();
  target.refresh();
  if (target.size > 0) {
    throw new MemoryError(
      "ALREADY_EXISTS",
      `the target store already holds ${target.size} entries: migrate into an empty store (a new schema or a new memory.path), or use 'memory-bank import' to merge`,
    );
  }
  const entries = sorted(source.entries());
  const before = digest(entries);
  onProgress?.(0, entries.length);
  for (let i = 0; i < entries.length; i += CHUNK) {
    const chunk = entries.slice(i, i + CHUNK);
    await target.write(
      (tx) => {
        for (const e of chunk) tx.put(e);
      },
      { atomic: true },
    );
    onProgress?.(Math.min(entries.length, i + CHUNK), entries.length);
  }
  target.refresh();
  const after = sorted(target.entries());
  const report: MigrateReport = {
    entries: entries.length,
    namespaces: new Set(entries.map((e) => e.namespace)).size,
    source: { entries: entries.length, sha256: before },
    target: { entries: after.length, sha256: digest(after) },
  };
  if (report.target.entries !== report.source.entries || report.target.sha256 !== report.source.sha256) {
    throw new MemoryError(
      "CORRUPT_DATA",
      `the migrated store does not match its source (source ${report.source.entries} entries, sha256 ${report.source.sha256}; target ${report.target.entries}, sha256 ${report.target.sha256}): the source is unchanged; remove the target's entries and retry`,
    );
  }
  return report;
}

function sorted(entries: Iterable<Entry>): Entry[] {
  return [...entries].sort((a, b) =>
    a.namespace === b.namespace ? compare(a.key, b.key) : compare(a.namespace, b.namespace),
  );
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** SHA-256 of every entry, one canonical JSON line each. */
export function digest(entries: readonly Entry[]): string {
  const h = createHash("sha256");
  for (const e of entries) h.update(`${canonical(e)}\n`);
  return h.digest("hex");
}

function canonical(v: unknown): string {
  if (v === null || typeof v !== "object") return JSON.stringify(v) ?? "null";
  if (Array.isArray(v)) return `[${v.map(canonical).join(",")}]`;
  const o = v as Record<string, unknown>;
  return `{${Object.keys(o)
    .filter((k) => o[k] !== undefined)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`)
    .join(",")}}`;
}
