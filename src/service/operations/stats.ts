/**
 * memory_stats / `memory-bank stats`: what the store holds (live and expired-but-not-yet-cleaned
 * entries per namespace and type), what it costs on disk, how the index and the query cache are
 * doing, and which processes are using the store right now (from their session records).
 */
import { stat } from "node:fs/promises";
import path from "node:path";
import type { NamespaceStats, StatsInput, StatsOutput } from "../../domain/entry.js";
import { isExpired, policyOf } from "../../domain/retention.js";
import { backupBytes } from "../../store/json/backups.js";
import { listSessions, sessionsBytes, sessionsDir, toProcessInfo } from "../../telemetry/sessions.js";
import type { MemoryBank } from "../bank.js";

/** The files of the store, derived the same way the JSON store derives them from the snapshot path. */
export function storeFiles(dataPath: string) {
  const dir = path.dirname(dataPath);
  const base = path.basename(dataPath).replace(/\.json$/, "");
  return {
    snapshot: dataPath,
    journal: path.join(dir, `${base}.journal`),
    backups: path.join(dir, "backups"),
    sessions: sessionsDir(dataPath),
  };
}

export async function collectStats(bank: MemoryBank, input: StatsInput = {}): Promise<StatsOutput> {
  bank.store.refresh();
  const now = bank.store.now();
  const wanted = input.namespace;
  const namespaces: NamespaceStats[] = [];
  const byType: Record<string, number> = {};
  let entries = 0;
  let expired = 0;
  const names = wanted ? [wanted] : bank.store.namespaces();
  for (const namespace of names) {
    const ns: NamespaceStats = {
      namespace,
      entries: 0,
      expired: 0,
      retention: policyOf(namespace, bank.retention),
      byType: {},
      ...(input.verbose ? { valueBytes: 0 } : {}),
    };
    for (const e of bank.store.namespace(namespace)?.values() ?? []) {
      if (isExpired(e, bank.retention, now)) {
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

  const files = storeFiles(bank.dataPath);
  const size = async (f: string) => (await stat(f).catch(() => undefined))?.size ?? 0;
  const [snapshotBytes, journalBytes, backupsBytes, sessionBytes, listed] = await Promise.all([
    size(files.snapshot),
    size(files.journal),
    backupBytes(files.backups),
    sessionsBytes(files.sessions),
    listSessions(files.sessions, now),
  ]);
  const status = bank.store.status();
  // Waits for a background index build without blocking other requests (reading searchIndex
  // directly would finish the build synchronously).
  if (bank.config.indexing) await bank.indexReady();
  const cache = bank.cacheStats;
  const lookups = cache.hits + cache.misses;
  const lastCompaction = status.lastCompaction ?? (await snapshotTime(files.snapshot));
  return {
    entries,
    expired,
    namespaces,
    byType,
    disk: { snapshotBytes, journalBytes, backupsBytes, sessionsBytes: sessionBytes },
    index: {
      enabled: bank.config.indexing,
      terms: bank.searchIndex?.termCount ?? 0,
      documents: bank.searchIndex?.size ?? 0,
    },
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
}

/** The snapshot is only ever replaced by compaction or recovery, so its mtime dates the last one. */
export async function snapshotTime(snapshot: string): Promise<string | undefined> {
  const st = await stat(snapshot).catch(() => undefined);
  return st ? st.mtime.toISOString() : undefined;
}
