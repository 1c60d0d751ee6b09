import { performanceReportOperation } from "../../service/operations/performance-report.js";
import { table } from "../render/table.js";
import { defineVerb } from "../verb.js";

export default defineVerb({
  name: "performance-report",
  description: "p50/p95 latency per operation, batch throughput, errors and retries, across session records",
  operation: performanceReportOperation,
  readOnly: true,
  input: () => ({}),
  table: (r) =>
    [
      table(
        ["operation", "calls", "errors", "p50 ms", "p95 ms", "mean ms", "max ms", "items/s"],
        r.operations.map((x) => [
          x.op,
          x.count,
          x.errors,
          x.p50Ms,
          x.p95Ms,
          x.meanMs,
          x.maxMs,
          x.itemsPerSec,
        ]),
      ),
      `${r.sessions} session record(s) (${r.alive} running)${r.since ? ` since ${r.since}` : ""}: ${r.calls} calls, ${r.errors} errors, ${r.retries} retries`,
    ].join("\n"),
});
