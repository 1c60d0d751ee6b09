/** The processes using the store, as `stats --concurrent` and `debug --concurrent` list them. */
import type { ProcessInfo } from "../../telemetry/sessions.js";
import { table } from "./table.js";

export function processTable(processes: readonly ProcessInfo[]): string {
  if (processes.length === 0) return "No processes are using the store.";
  return table(
    ["pid", "kind", "client / command", "status", "started", "last seen", "calls", "errors", "in flight"],
    processes.map((p) => [
      p.pid,
      p.kind,
      p.client ?? p.command ?? "",
      p.status === "stale" ? "STALE (process gone)" : p.status,
      p.startedAt,
      p.lastSeen,
      p.calls,
      p.errors,
      p.inFlight.map((f) => `${f.op} since ${f.startedAt}`).join("; "),
    ]),
  );
}
