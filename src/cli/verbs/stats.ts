import { statsOperation } from "../../service/operations/stats.js";
import { processTable } from "../render/processes.js";
import { bytes, pairs, table } from "../render/table.js";
import { defineVerb } from "../verb.js";

export default defineVerb({
  name: "stats",
  description: "entries per namespace and type, disk usage, index, cache, processes",
  operation: statsOperation,
  readOnly: true,
  configure: (c) =>
    c
      .option("--namespace <ns>", "only this namespace")
      .option("--concurrent", "also list the processes using the store and what they are doing"),
  input: (_, o, g) => ({ ...(o.namespace ? { namespace: o.namespace } : {}), verbose: g.verbose ?? false }),
  table: (r, { flags, globals }) =>
    [
      table(
        ["namespace", "live", "expired", "retention", ...(globals.verbose ? ["value bytes"] : []), "types"],
        r.namespaces.map((n) => [
          n.namespace,
          n.entries,
          n.expired,
          n.retention,
          ...(globals.verbose ? [n.valueBytes ?? 0] : []),
          Object.entries(n.byType)
            .map(([t, c]) => `${t} ${c}`)
            .join(", "),
        ]),
      ),
      "",
      pairs([
        ["entries", `${r.entries} live, ${r.expired} expired awaiting cleanup`],
        [
          "disk",
          `snapshot ${bytes(r.disk.snapshotBytes)}, journal ${bytes(r.disk.journalBytes)}, backups ${bytes(r.disk.backupsBytes)}, sessions ${bytes(r.disk.sessionsBytes)}`,
        ],
        ["index", r.index.enabled ? `${r.index.terms} terms, ${r.index.documents} documents` : "off"],
        ["cache", `${r.cache.hits} hits, ${r.cache.misses} misses (${(r.cache.hitRate * 100).toFixed(1)}%)`],
        ["generation", r.store.generation],
        ["last compaction", r.store.lastCompaction ?? "never"],
        ["processes", r.processes.length],
      ]),
      ...(flags.concurrent ? ["", processTable(r.processes)] : []),
    ].join("\n"),
});
