/**
 * memory_cleanup / `memory-bank batch-cleanup`: removes entries past their TTL or their namespace's
 * retention policy, one namespace per batch item so namespaces are cleaned in parallel. Entries are
 * re-checked inside each write transaction: one another agent refreshed in the meantime stays.
 * Namespaces whose policy is "permanent" are never touched.
 */

import { MemoryConfigSchema } from "../../config/config.js";
import { type CleanupInput, type CleanupOutput, formatIssues, MAX_LISTED_KEYS } from "../../domain/entry.js";
import { MemoryError } from "../../domain/errors.js";
import { deletionTime, isExpired, isPermanent, policyOf, withPolicies } from "../../domain/retention.js";
import { readRegularFile } from "../../transfer/source-file.js";
import type { MemoryBank, ProgressOptions } from "../bank.js";
import { runBatch } from "../executor.js";

export interface CleanupOptions extends ProgressOptions {
  /** Policies replacing the configured ones for this run (a retention file). */
  policies?: Record<string, string>;
}

export async function cleanup(
  bank: MemoryBank,
  input: CleanupInput,
  options: CleanupOptions = {},
): Promise<CleanupOutput> {
  const started = performance.now();
  const dryRun = input.dryRun ?? false;
  const rules = options.policies ? withPolicies(bank.retention, options.policies) : bank.retention;
  bank.store.refresh();
  const known = knownNamespaces(bank);
  for (const ns of [...(input.namespaces ?? []), ...Object.keys(options.policies ?? {})]) {
    if (!known.includes(ns)) throw unknownNamespace(ns, known);
  }
  const wanted = input.namespaces ?? known;
  const skipped: CleanupOutput["skipped"] = [];
  const work: Array<{ namespace: string; keys: string[]; scanned: number }> = [];
  // Removing destroys: only what both this process's clock and the store's say has expired.
  const now = deletionTime(bank.store.now());
  for (const namespace of [...new Set(wanted)].sort()) {
    if (isPermanent(namespace, rules)) {
      skipped.push({ namespace, reason: "retention is permanent" });
      continue;
    }
    const byKey = bank.store.namespace(namespace);
    const keys: string[] = [];
    for (const e of byKey?.values() ?? []) if (isExpired(e, rules, now)) keys.push(e.key);
    work.push({ namespace, keys, scanned: byKey?.size ?? 0 });
  }

  const total = work.reduce((n, w) => n + w.keys.length, 0);
  let done = 0;
  options.onProgress?.(0, total);
  const chunk = bank.config.performance.batchWriteSize;
  const report = await runBatch(
    work,
    async (w) => {
      if (dryRun) {
        done += w.keys.length;
        options.onProgress?.(done, total);
        return w.keys;
      }
      const removed: string[] = [];
      for (let i = 0; i < w.keys.length; i += chunk) {
        const part = w.keys.slice(i, i + chunk);
        const gone = await bank.store.write((tx) => {
          const at = deletionTime(tx.now);
          const out: string[] = [];
          for (const key of part) {
            const e = tx.get(w.namespace, key);
            if (!e || !isExpired(e, rules, at)) continue;
            tx.del(w.namespace, key);
            out.push(key);
          }
          return out;
        });
        removed.push(...gone);
        done += part.length;
        options.onProgress?.(done, total);
      }
      return removed;
    },
    {
      concurrency: bank.config.batchtools.enabled ? bank.config.batchtools.maxConcurrent : 1,
      ...(options.signal ? { signal: options.signal } : {}),
    },
  );

  const namespaces: CleanupOutput["namespaces"] = [];
  const failures: string[] = [];
  report.outcomes.forEach((o, i) => {
    const w = work[i];
    if (!w) return;
    if (!o.ok) {
      failures.push(`${w.namespace}: ${o.message}`);
      return;
    }
    const keys = [...o.value].sort();
    namespaces.push({
      namespace: w.namespace,
      retention: policyOf(w.namespace, rules),
      scanned: w.scanned,
      removed: keys.length,
      keys: keys.slice(0, MAX_LISTED_KEYS),
      truncated: keys.length > MAX_LISTED_KEYS,
    });
  });
  if (failures.length > 0) {
    const removedSoFar = namespaces.reduce((n, x) => n + x.removed, 0);
    throw new MemoryError(
      "IO_ERROR",
      `cleanup failed for ${failures.join("; ")} (${removedSoFar} entries were removed elsewhere): retry`,
    );
  }
  return {
    dryRun,
    removed: namespaces.reduce((n, x) => n + x.removed, 0),
    namespaces,
    skipped,
    tookMs: Math.round((performance.now() - started) * 1000) / 1000,
  };
}

/** Namespaces configured or holding entries: the names cleanup and retention files may use. */
export function knownNamespaces(bank: MemoryBank): string[] {
  return [...new Set([...bank.config.namespaces, ...bank.store.namespaces()])].sort();
}

function unknownNamespace(ns: string, known: string[]): MemoryError {
  return new MemoryError(
    "INVALID_INPUT",
    `unknown namespace '${ns}': it is neither configured (memory.namespaces) nor holds entries; known namespaces: ${known.join(", ")}`,
  );
}

const PolicyFileSchema = MemoryConfigSchema.shape.retentionPolicy.unwrap();

/**
 * Reads a retention file for batch-cleanup: either `{"retentionPolicy": {...}}` (a config-like file)
 * or the policy map itself, e.g. `{"sessions": "7d", "tasks": "30d"}`.
 */
export async function readRetentionFile(file: string): Promise<Record<string, string>> {
  let text: string;
  try {
    text = (await readRegularFile(file, file)).toString("utf8");
  } catch (error) {
    if (error instanceof MemoryError) throw error; // not a regular file
    const code = (error as NodeJS.ErrnoException).code;
    throw new MemoryError(
      code === "ENOENT" ? "NOT_FOUND" : "IO_ERROR",
      code === "ENOENT"
        ? `retention file ${file} does not exist`
        : `cannot read ${file}: ${(error as Error).message}`,
    );
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (error) {
    throw new MemoryError(
      "INVALID_INPUT",
      `retention file ${file} is not valid JSON: ${(error as Error).message}`,
    );
  }
  const d = doc as { retentionPolicy?: unknown; memory?: { retentionPolicy?: unknown } } | null;
  const policies = d?.memory?.retentionPolicy ?? d?.retentionPolicy ?? doc;
  const parsed = PolicyFileSchema.safeParse(policies);
  if (!parsed.success) {
    throw new MemoryError(
      "INVALID_INPUT",
      `retention file ${file}: ${formatIssues(parsed.error)} (expected {"namespace": "30d" | "12h" | "permanent", ...})`,
    );
  }
  return parsed.data;
}
