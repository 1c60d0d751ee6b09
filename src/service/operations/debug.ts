/**
 * `memory-bank debug`: everything needed to understand a misbehaving setup in one place: which
 * config and files are used, the store's state and the problems it noticed, whether a writer holds
 * the lock, and (with concurrent) every process using the store and what it is doing, with records
 * of processes that died without a clean exit marked stale.
 */
import { z } from "zod";
import type { LoadedConfig } from "../../config/config.js";
import { VERSION } from "../../config/version.js";
import { ProcessInfoSchema } from "../../domain/entry.js";
import { isLocked } from "../../store/json/lock.js";
import { listSessions, toProcessInfo } from "../../telemetry/sessions.js";
import type { MemoryBank } from "../bank.js";
import { storeFiles } from "./stats.js";

export const DebugInfoSchema = z.object({
  version: z.string(),
  node: z.string(),
  pid: z.number().int(),
  projectDir: z.string(),
  configFile: z.string().optional(),
  warnings: z.array(z.string()),
  files: z.object({ snapshot: z.string(), journal: z.string(), backups: z.string(), sessions: z.string() }),
  store: z.object({
    entries: z.number().int(),
    generation: z.number().int(),
    journalBytes: z.number().int(),
    journalRecords: z.number().int(),
    lockHeld: z.boolean().describe("another process is writing right now"),
    problems: z.array(z.object({ at: z.string(), kind: z.string(), detail: z.string() })),
  }),
  processes: z.array(ProcessInfoSchema),
  unreadableSessionRecords: z.number().int(),
});
export type DebugInfo = z.infer<typeof DebugInfoSchema>;

export async function debugInfo(
  bank: MemoryBank,
  loaded: LoadedConfig,
  options: { concurrent?: boolean; all?: boolean } = {},
): Promise<DebugInfo> {
  bank.store.refresh();
  const files = storeFiles(bank.dataPath);
  const status = bank.store.status();
  const listed = await listSessions(files.sessions, bank.store.now());
  const shown = listed.sessions.filter((s) =>
    options.all ? true : options.concurrent ? s.status !== "ended" : s.status === "alive",
  );
  return {
    version: VERSION,
    node: process.version,
    pid: process.pid,
    projectDir: bank.projectDir,
    ...(loaded.file ? { configFile: loaded.file } : {}),
    warnings: loaded.warnings,
    files,
    store: {
      entries: bank.store.size,
      generation: status.generation,
      journalBytes: status.journalBytes,
      journalRecords: status.journalRecords,
      lockHeld: isLocked(bank.dataPath),
      problems: status.problems,
    },
    processes: shown.map(toProcessInfo),
    unreadableSessionRecords: listed.unreadable,
  };
}
