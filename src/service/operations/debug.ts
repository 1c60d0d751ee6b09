/**
 * `memory-bank debug`: everything needed to understand a misbehaving setup in one place: which
 * config and files are used, the store's state and the problems it noticed, whether a writer holds
 * the lock, and (with concurrent) every process using the store and what it is doing, with records
 * of processes that died without a clean exit marked stale.
 */
import { z } from "zod";
import { VERSION } from "../../config/version.js";
import { listSessions, ProcessInfoSchema, toProcessInfo } from "../../telemetry/sessions.js";
import { defineOperation } from "./operation.js";

export const DebugInputSchema = z.object({
  concurrent: z.boolean().optional().describe("Also list stale records of processes that died."),
  all: z.boolean().optional().describe("List every session record, ended ones too."),
});

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

export const debugOperation = defineOperation({
  name: "debug",
  input: DebugInputSchema,
  output: DebugInfoSchema,
  run: async (bank, options) => {
    const read = bank.read();
    const layout = bank.layout;
    const status = bank.status();
    const listed = await listSessions(layout.sessions, read.now);
    const shown = listed.sessions.filter((s) =>
      options.all ? true : options.concurrent ? s.status !== "ended" : s.status === "alive",
    );
    return {
      version: VERSION,
      node: process.version,
      pid: process.pid,
      projectDir: bank.projectDir,
      ...(bank.configFile ? { configFile: bank.configFile } : {}),
      warnings: [...bank.configWarnings],
      files: {
        snapshot: layout.snapshot,
        journal: layout.journal,
        backups: layout.backups,
        sessions: layout.sessions,
      },
      store: {
        entries: read.size,
        generation: status.generation,
        journalBytes: status.journalBytes,
        journalRecords: status.journalRecords,
        lockHeld: bank.maintenance?.writerActive() ?? false,
        problems: status.problems,
      },
      processes: shown.map(toProcessInfo),
      unreadableSessionRecords: listed.unreadable,
    };
  },
  render: (r) =>
    [
      `memory-bank ${r.version} (node ${r.node}, pid ${r.pid}); project ${r.projectDir}; config ${r.configFile ?? "defaults"}.`,
      `Store ${r.files.snapshot}: ${r.store.entries} entries, generation ${r.store.generation}, journal ${r.store.journalRecords} records; lock ${r.store.lockHeld ? "held" : "free"}; ${r.store.problems.length} problem(s).`,
      ...r.store.problems.map((p) => `- ${p.at} ${p.kind}: ${p.detail}`),
      `${r.processes.length} process(es) listed.`,
    ].join("\n"),
});
