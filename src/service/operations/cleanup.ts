/**
 * memory_cleanup / `memory-bank batch-cleanup`: removes entries past their TTL or their namespace's
 * retention policy, one namespace per batch item so namespaces are cleaned in parallel. Entries are
 * re-checked inside each write transaction: one another agent refreshed in the meantime stays.
 * Namespaces whose policy is "permanent" are never touched.
 */
import { z } from "zod";
import { NamespaceSchema } from "../../domain/entry.js";
import { MemoryError } from "../../domain/errors.js";
import { deletionTime, isExpired, isPermanent, policyOf, withPolicies } from "../../domain/retention.js";
import type { MemoryBank } from "../bank.js";
import { runBatch } from "../executor.js";
import { defineOperation, MAX_LISTED_KEYS, type OperationContext } from "./operation.js";

export const CleanupInputSchema = z.object({
  namespaces: z
    .array(NamespaceSchema)
    .min(1, { error: "namespaces is empty: omit it to clean every namespace" })
    .max(1000)
    .optional()
    .describe("Only these namespaces (default: all). Permanent namespaces are never touched."),
  dryRun: z.boolean().optional().describe("Only report what would be removed."),
});
export type CleanupInput = z.infer<typeof CleanupInputSchema>;

export const CleanupOutputSchema = z.object({
  dryRun: z.boolean(),
  removed: z.number().int().describe("entries removed (with dryRun: that would be removed)"),
  namespaces: z.array(
    z.object({
      namespace: z.string(),
      retention: z.string(),
      scanned: z.number().int(),
      removed: z.number().int(),
      keys: z.array(z.string()).describe(`removed keys, sorted (at most ${MAX_LISTED_KEYS})`),
      truncated: z.boolean(),
    }),
  ),
  skipped: z.array(z.object({ namespace: z.string(), reason: z.string() })),
  tookMs: z.number(),
});
export type CleanupOutput = z.infer<typeof CleanupOutputSchema>;

export interface CleanupOptions extends OperationContext {
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
  // A retention file imposes its policies on every entry, whoever wrote it (domain/retention.ts).
  const rules = options.policies ? withPolicies(bank.retention, options.policies) : bank.retention;
  const read = bank.read();
  const known = knownNamespaces(bank);
  for (const ns of [...(input.namespaces ?? []), ...Object.keys(options.policies ?? {})]) {
    if (!known.includes(ns)) throw unknownNamespace(ns, known);
  }
  const wanted = input.namespaces ?? known;
  const skipped: CleanupOutput["skipped"] = [];
  const work: Array<{ namespace: string; keys: string[]; scanned: number }> = [];
  // Removing destroys: only what both this process's clock and the store's say has expired.
  const now = deletionTime(read.now);
  for (const namespace of [...new Set(wanted)].sort()) {
    if (isPermanent(namespace, rules)) {
      skipped.push({ namespace, reason: "retention is permanent" });
      continue;
    }
    const keys: string[] = [];
    for (const e of read.all(namespace)) if (isExpired(e, rules, now)) keys.push(e.key);
    work.push({ namespace, keys, scanned: read.count(namespace) });
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
        const gone = await bank.transact((tx) => {
          const at = deletionTime(tx.now);
          const out: string[] = [];
          for (const key of part) {
            const e = tx.stored(w.namespace, key);
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
  return [...new Set([...bank.config.namespaces, ...bank.read().namespaces()])].sort();
}

function unknownNamespace(ns: string, known: string[]): MemoryError {
  return new MemoryError(
    "INVALID_INPUT",
    `unknown namespace '${ns}': it is neither configured (memory.namespaces) nor holds entries; known namespaces: ${known.join(", ")}`,
  );
}

/** "Removed 3 expired entries in 12 ms." */
export function cleanupSummary(o: CleanupOutput): string {
  return `${o.dryRun ? "Would remove" : "Removed"} ${o.removed} expired entr${o.removed === 1 ? "y" : "ies"} in ${o.tookMs} ms.`;
}

export function renderCleanup(o: CleanupOutput): string {
  return [
    cleanupSummary(o),
    ...o.namespaces.map((n) => `- ${n.namespace} (retention ${n.retention}): ${n.removed} of ${n.scanned}`),
    ...o.skipped.map((s) => `- ${s.namespace}: skipped (${s.reason})`),
  ].join("\n");
}

export const cleanupOperation = defineOperation({
  name: "memory_cleanup",
  input: CleanupInputSchema,
  output: CleanupOutputSchema,
  run: (bank, input, ctx) => cleanup(bank, input, ctx),
  render: renderCleanup,
  items: (o) => o.namespaces.reduce((n, x) => n + x.scanned, 0),
});
