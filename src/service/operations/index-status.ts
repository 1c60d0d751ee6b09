/**
 * `memory-bank index-status`: the search index's terms and documents, the store's generation,
 * journal length and last compaction, and whether the index is in step with the entries.
 */
import { z } from "zod";
import type { MemoryBank } from "../bank.js";
import { defineOperation } from "./operation.js";

export const IndexStatusSchema = z.object({
  entries: z.number().int(),
  indexed: z.number().int().describe("documents in the search index"),
  terms: z.number().int(),
  indexing: z.boolean(),
  generation: z.number().int().describe("snapshot generation (bumped by every compaction)"),
  journal: z.object({ bytes: z.number().int(), records: z.number().int() }),
  lastCompaction: z.string().optional(),
  consistent: z.boolean(),
  summary: z.string(),
});
export type IndexStatus = z.infer<typeof IndexStatusSchema>;

/** Entries missing from the index, and index documents with no entry behind them. */
export function checkIndex(bank: MemoryBank): { missing: number; extra: number; indexed: number } {
  const index = bank.searchIndex;
  if (!index) return { missing: 0, extra: 0, indexed: 0 };
  const read = bank.read();
  let missing = 0;
  for (const e of read.all()) if (!index.has(e.namespace, e.key)) missing++;
  const extra = Math.max(0, index.size - (read.size - missing));
  return { missing, extra, indexed: index.size };
}

export function describeIndex(c: { missing: number; extra: number }, entries: number): string {
  if (c.missing === 0 && c.extra === 0) return `consistent: all ${entries} entries are indexed`;
  return `${c.missing} entries missing from the index, ${c.extra} index documents without an entry`;
}

export const indexStatusOperation = defineOperation({
  name: "index-status",
  input: z.object({}),
  output: IndexStatusSchema,
  run: async (bank) => {
    const read = bank.read();
    const status = bank.status();
    const c = checkIndex(bank);
    const lastCompaction = status.lastCompaction ?? (await bank.storageUsage()).lastCompaction;
    return {
      entries: read.size,
      indexed: c.indexed,
      terms: bank.searchIndex?.termCount ?? 0,
      indexing: bank.config.indexing,
      generation: status.generation,
      journal: { bytes: status.journalBytes, records: status.journalRecords },
      ...(lastCompaction ? { lastCompaction } : {}),
      consistent: c.missing === 0 && c.extra === 0,
      summary: bank.config.indexing ? describeIndex(c, read.size) : "indexing is off (memory.indexing)",
    };
  },
  render: (r) =>
    [
      `${r.entries} entries, ${r.indexed} indexed, ${r.terms} terms; generation ${r.generation}; journal ${r.journal.records} records (${r.journal.bytes} bytes); last compaction ${r.lastCompaction ?? "never"}.`,
      r.summary,
    ].join("\n"),
});
