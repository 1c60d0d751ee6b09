import { StatsInputShape, StatsOutputShape } from "../../domain/entry.js";
import { collectStats } from "../../service/operations/stats.js";
import { defineTool } from "../tool.js";

export default defineTool({
  name: "memory_stats",
  title: "Memory statistics",
  description:
    "How much is stored: live entries per namespace and type, expired entries not yet cleaned up, bytes on disk (snapshot, journal, backups), search index terms, query cache hit rate, and the processes (agents' servers, CLI runs) using the store now. Example: {namespace: 'tasks', verbose: true}",
  inputSchema: StatsInputShape,
  outputSchema: StatsOutputShape,
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  run: (bank, input) => collectStats(bank, input),
  render: (o) =>
    [
      `${o.entries} live entries (${o.expired} expired awaiting cleanup) in ${o.namespaces.length} namespace(s); ${o.index.terms} index terms; cache hit rate ${(o.cache.hitRate * 100).toFixed(1)}%; ${o.processes.length} process(es) using the store.`,
      ...o.namespaces.map(
        (n) => `- ${n.namespace}: ${n.entries} live, ${n.expired} expired, retention ${n.retention}`,
      ),
      `Disk: snapshot ${o.disk.snapshotBytes} B, journal ${o.disk.journalBytes} B, backups ${o.disk.backupsBytes} B.`,
    ].join("\n"),
});
