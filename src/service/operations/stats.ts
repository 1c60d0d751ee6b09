/**
 * memory_stats / `memory-bank stats`: what the store holds (live and expired-but-not-yet-cleaned
 * entries per namespace and type), what it costs on disk, how the index and the query cache are
 * doing, and which processes are using the store right now (from their session records).
 */
import { z } from "zod";
import { IsoDate, NamespaceSchema } from "../../domain/entry.js";
import { policyOf } from "../../domain/retention.js";
import { listSessions, ProcessInfoSchema, sessionsBytes, toProcessInfo } from "../../telemetry/sessions.js";
import { defineOperation } from "./operation.js";

export const StatsInputSchema = z.object({
  namespace: NamespaceSchema.optional().describe("Only this namespace's counts (default: all)."),
  verbose: z.boolean().optional().describe("Also report value bytes per namespace."),
});
export type StatsInput = z.infer<typeof StatsInputSchema>;

export const NamespaceStatsSchema = z.object({
  namespace: z.string(),
  entries: z.number().int().describe("live entries"),
  expired: z.number().int().describe("expired but not yet cleaned up"),
  retention: z.string().describe("the namespace's retention policy, or 'none'"),
  byType: z.record(z.string(), z.number().int()),
  valueBytes: z.number().int().optional().describe("JSON bytes of the values (verbose)"),
});
export type NamespaceStats = z.infer<typeof NamespaceStatsSchema>;

export const StoreProblemsSchema = z
  .array(z.object({ at: IsoDate, kind: z.string(), detail: z.string() }))
  .describe("damage and lock trouble this process noticed (damaged lines set aside, recoveries, ...)");

export const StatsOutputSchema = z.object({
  entries: z.number().int().describe("live entries"),
  expired: z.number().int().describe("expired but not yet cleaned up"),
  namespaces: z.array(NamespaceStatsSchema),
  byType: z.record(z.string(), z.number().int()),
  disk: z.object({
    snapshotBytes: z.number().int(),
    journalBytes: z.number().int(),
    backupsBytes: z.number().int(),
    sessionsBytes: z.number().int(),
  }),
  index: z.object({ enabled: z.boolean(), terms: z.number().int(), documents: z.number().int() }),
  cache: z.object({ hits: z.number().int(), misses: z.number().int(), hitRate: z.number() }),
  store: z.object({
    generation: z.number().int(),
    journalRecords: z.number().int(),
    lastCompaction: IsoDate.optional(),
    problems: StoreProblemsSchema,
  }),
  processes: z.array(ProcessInfoSchema).describe("processes using the store now"),
});
export type StatsOutput = z.infer<typeof StatsOutputSchema>;

export const statsOperation = defineOperation({
  name: "memory_stats",
  input: StatsInputSchema,
  output: StatsOutputSchema,
  run: async (bank, input) => {
    const read = bank.read();
    const namespaces: NamespaceStats[] = [];
    const byType: Record<string, number> = {};
    let entries = 0;
    let expired = 0;
    for (const namespace of input.namespace ? [input.namespace] : read.namespaces()) {
      const ns: NamespaceStats = {
        namespace,
        entries: 0,
        expired: 0,
        retention: policyOf(namespace, bank.retention),
        byType: {},
        ...(input.verbose ? { valueBytes: 0 } : {}),
      };
      for (const e of read.all(namespace)) {
        if (read.isExpired(e)) {
          ns.expired++;
          continue;
        }
        ns.entries++;
        ns.byType[e.type] = (ns.byType[e.type] ?? 0) + 1;
        byType[e.type] = (byType[e.type] ?? 0) + 1;
        if (ns.valueBytes !== undefined)
          ns.valueBytes += Buffer.byteLength(JSON.stringify(e.value) ?? "", "utf8");
      }
      entries += ns.entries;
      expired += ns.expired;
      namespaces.push(ns);
    }

    const sessions = bank.layout.sessions;
    const [usage, sessionBytes, listed] = await Promise.all([
      bank.storageUsage(),
      sessionsBytes(sessions),
      listSessions(sessions, read.now),
    ]);
    const status = bank.status();
    // Waits for a background index build without blocking other requests (reading searchIndex
    // directly would finish the build synchronously).
    if (bank.config.indexing) await bank.indexReady();
    const cache = bank.cacheStats;
    const lookups = cache.hits + cache.misses;
    const lastCompaction = status.lastCompaction ?? usage.lastCompaction;
    const index = bank.searchIndex;
    return {
      entries,
      expired,
      namespaces,
      byType,
      disk: {
        snapshotBytes: usage.snapshotBytes,
        journalBytes: usage.journalBytes,
        backupsBytes: usage.backupsBytes,
        sessionsBytes: sessionBytes,
      },
      index: { enabled: bank.config.indexing, terms: index?.termCount ?? 0, documents: index?.size ?? 0 },
      cache: {
        hits: cache.hits,
        misses: cache.misses,
        hitRate: lookups ? Math.round((cache.hits / lookups) * 1e4) / 1e4 : 0,
      },
      store: {
        generation: status.generation,
        journalRecords: status.journalRecords,
        problems: status.problems,
        ...(lastCompaction ? { lastCompaction } : {}),
      },
      processes: listed.sessions.filter((s) => s.status === "alive").map(toProcessInfo),
    };
  },
  render: (o) =>
    [
      `${o.entries} live entries (${o.expired} expired awaiting cleanup) in ${o.namespaces.length} namespace(s); ${o.index.terms} index terms; cache hit rate ${(o.cache.hitRate * 100).toFixed(1)}%; ${o.processes.length} process(es) using the store.`,
      ...o.namespaces.map(
        (n) => `- ${n.namespace}: ${n.entries} live, ${n.expired} expired, retention ${n.retention}`,
      ),
      `Disk: snapshot ${o.disk.snapshotBytes} B, journal ${o.disk.journalBytes} B, backups ${o.disk.backupsBytes} B.`,
    ].join("\n"),
});
