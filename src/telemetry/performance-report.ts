/**
 * `performance-report`: per-operation latency percentiles, error counts, batch throughput and
 * retries, merged across the session records of every process that used the store (running ones
 * included, as of their last heartbeat).
 */
import { z } from "zod";
import { emptyOpStats, type ListedSession, mergeOpStats, type OpStats, percentile } from "./sessions.js";

export const PerformanceReportSchema = z.object({
  sessions: z.number().int(),
  alive: z.number().int(),
  since: z.string().optional().describe("start of the oldest session counted"),
  calls: z.number().int(),
  errors: z.number().int(),
  retries: z.number().int(),
  operations: z.array(
    z.object({
      op: z.string(),
      count: z.number().int(),
      errors: z.number().int(),
      meanMs: z.number(),
      p50Ms: z.number(),
      p95Ms: z.number(),
      maxMs: z.number(),
      items: z.number().int().describe("items processed (batches)"),
      itemsPerSec: z.number().optional().describe("batch throughput: items per second of batch time"),
    }),
  ),
});
export type PerformanceReport = z.infer<typeof PerformanceReportSchema>;

export function performanceReport(sessions: readonly ListedSession[]): PerformanceReport {
  const byOp = new Map<string, OpStats>();
  let calls = 0;
  let errors = 0;
  let retries = 0;
  for (const { record } of sessions) {
    calls += record.calls;
    errors += record.errors;
    retries += record.retries;
    for (const [op, stats] of Object.entries(record.ops)) {
      byOp.set(op, mergeOpStats(byOp.get(op) ?? emptyOpStats(), stats));
    }
  }
  const round = (n: number) => Math.round(n * 1000) / 1000;
  const operations = [...byOp.entries()]
    .sort((a, b) => b[1].count - a[1].count || (a[0] < b[0] ? -1 : 1))
    .map(([op, s]) => ({
      op,
      count: s.count,
      errors: s.errors,
      meanMs: round(s.count ? s.totalMs / s.count : 0),
      p50Ms: round(percentile(s, 0.5)),
      p95Ms: round(percentile(s, 0.95)),
      maxMs: round(s.maxMs),
      items: s.items,
      ...(s.items > 0 && s.itemsMs > 0 ? { itemsPerSec: Math.round((s.items * 1000) / s.itemsMs) } : {}),
    }));
  const oldest = sessions[0]?.record.startedAt;
  return {
    sessions: sessions.length,
    alive: sessions.filter((s) => s.status === "alive").length,
    ...(oldest ? { since: oldest } : {}),
    calls,
    errors,
    retries,
    operations,
  };
}
