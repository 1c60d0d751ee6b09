/**
 * The backend a project's config names (`memory.backend`), built but not opened. The one place
 * that maps a config onto a Backend class, so the service never names one.
 */
import { existsSync } from "node:fs";
import type { LoadedConfig } from "../config/config.js";
import type { Entry } from "../domain/entry.js";
import type { Backend } from "./backend.js";
import { JsonStore } from "./json/json-store.js";
import { storeLayout } from "./layout.js";
import { MemoryStore } from "./memory/memory-store.js";
import { PostgresBackend } from "./postgres/backend.js";
import { describeTarget, resolveSettings } from "./postgres/settings.js";

export interface BackendHooks {
  /** Entries compaction may drop: expired by the project's retention rules. */
  isExpired: (entry: Entry, now: number) => boolean;
  log: (message: string) => void;
  /** Rebuild an unreadable snapshot from the journals even without a backup (explicit repair). */
  rebuildWithoutBackup?: boolean;
  /**
   * The caller only reads and must create nothing (`get`, `query`, ...): a store that does not
   * exist yet reads as an empty one, held in memory, instead of being created on disk.
   */
  readOnly?: boolean;
}

export function createBackend(loaded: LoadedConfig, hooks: BackendHooks): Backend {
  const config = loaded.memory;
  switch (config.backend) {
    case "json": {
      const layout = storeLayout(loaded.dataPath);
      if (hooks.readOnly && !existsSync(layout.snapshot) && !existsSync(layout.journal))
        return new MemoryStore({ isExpired: hooks.isExpired });
      return new JsonStore({
        dataPath: loaded.dataPath,
        fsync: config.store.fsync,
        compactAfterBytes: config.store.compactAfterBytes,
        backupsKept: config.store.backupsKept,
        lockStaleMs: config.store.lockStaleMs,
        concurrentBackups: config.batchtools.concurrentBackups,
        exclusive: !config.performance.enableParallelAccess,
        isExpired: hooks.isExpired,
        ...(hooks.rebuildWithoutBackup ? { rebuildWithoutBackup: true } : {}),
        log: hooks.log,
      });
    }
    case "postgres":
      // Where to connect comes from the environment (settings.ts); the config names no credential.
      return new PostgresBackend({
        settings: resolveSettings(config.postgres),
        fsync: config.store.fsync,
        exclusive: !config.performance.enableParallelAccess,
        isExpired: hooks.isExpired,
        log: hooks.log,
      });
  }
}

/**
 * The store the config names, as it may be shown to a person: the snapshot's path, or the
 * database and schema (never a credential: describeTarget has no password to show).
 */
export function backendLocation(loaded: LoadedConfig): string {
  const config = loaded.memory;
  switch (config.backend) {
    case "json":
      return loaded.dataPath;
    case "postgres": {
      const settings = resolveSettings(config.postgres);
      return `${describeTarget(settings)} (schema ${settings.schema})`;
    }
  }
}
