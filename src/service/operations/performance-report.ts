/**
 * `memory-bank performance-report`: per-operation latency percentiles, error counts, batch
 * throughput and retries, across the session records of every process that used the store.
 */
import { z } from "zod";
import { PerformanceReportSchema, performanceReport } from "../../telemetry/performance-report.js";
import { listSessions } from "../../telemetry/sessions.js";
import { defineOperation } from "./operation.js";

export const performanceReportOperation = defineOperation({
  name: "performance-report",
  input: z.object({}),
  output: PerformanceReportSchema,
  run: async (bank) => {
    const { sessions } = await listSessions(bank.layout.sessions, bank.now());
    return performanceReport(sessions);
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
