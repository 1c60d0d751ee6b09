/**
 * `memory-bank performance-report`: per-operation latency percentiles, error counts, batch
 * throughput and retries, across the session records of every process that used the store.
 */
import { z } from "zod";
import {
  PerformanceReportSchema,
  performanceReport,
  performanceTimeline,
  TimelinePointSchema,
} from "../../telemetry/performance-report.js";
import { listSessions } from "../../telemetry/sessions.js";
import { defineOperation } from "./operation.js";

export const performanceReportOperation = defineOperation({
  name: "performance-report",
  input: z.object({
    timeline: z
      .number({ error: "timeline must be a number of intervals from 1 to 500" })
      .int({ error: "timeline must be a whole number of intervals from 1 to 500" })
      .min(1, { error: "timeline must be at least 1" })
      .max(500, { error: "timeline must be at most 500" })
      .optional()
      .describe("Also report latency and throughput over time, in this many intervals."),
  }),
  output: PerformanceReportSchema.extend({
    timeline: z.array(TimelinePointSchema).optional().describe("latency and throughput over time"),
  }),
  run: async (bank, input) => {
    const now = bank.now();
    const { sessions } = await listSessions(bank.layout.sessions, now);
    const report = performanceReport(sessions);
    return input.timeline
      ? { ...report, timeline: performanceTimeline(sessions, now, input.timeline) }
      : report;
  },
  render: (r) =>
    [
      `${r.sessions} session record(s) (${r.alive} running)${r.since ? ` since ${r.since}` : ""}: ${r.calls} calls, ${r.errors} errors, ${r.retries} retries.`,
      ...r.operations.map(
        (x) =>
          `- ${x.op}: ${x.count} calls, ${x.errors} errors, p50 ${x.p50Ms} ms, p95 ${x.p95Ms} ms${x.itemsPerSec !== undefined ? `, ${x.itemsPerSec} items/s` : ""}`,
      ),
    ].join("\n"),
});
