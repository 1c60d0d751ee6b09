/** The shapes of the bank server's own messages (wire.ts), checked by the server. */
import { z } from "zod";

export const HelloParamsSchema = z.object({
  version: z.string(),
  fingerprint: z.string(),
  role: z.enum(["mcp", "cli"]),
  pid: z.number().int().optional(),
  /**
   * The fingerprint is of the config file's text (server/locate.ts), from a client that has not
   * parsed it: a mismatch means "use the full path", never that this server should finish.
   */
  raw: z.boolean().optional(),
});
export type HelloParams = z.infer<typeof HelloParamsSchema>;

export const HelloResultSchema = z.object({
  accepted: z.boolean(),
  /** Why not: another version, other settings, or this server is finishing. */
  reason: z.string().optional(),
  version: z.string(),
  pid: z.number().int(),
  /** The config file's warnings, for a client that did not parse it (the relay of `serve` prints them). */
  warnings: z.array(z.string()).optional(),
});
export type HelloResult = z.infer<typeof HelloResultSchema>;

export const BankServerStatusSchema = z.object({
  pid: z.number().int(),
  version: z.string(),
  dataPath: z.string(),
  socket: z.string(),
  startedAt: z.string(),
  uptimeMs: z.number(),
  clients: z.object({ mcp: z.number().int(), cli: z.number().int() }),
  served: z.object({ sessions: z.number().int(), calls: z.number().int() }),
  rssBytes: z.number().int(),
  heapUsedBytes: z.number().int(),
  entries: z.number().int().optional(),
  idleTimeoutMs: z.number().int(),
  log: z.string(),
});
export type BankServerStatus = z.infer<typeof BankServerStatusSchema>;

export const RunParamsSchema = z.object({
  operation: z.string(),
  input: z.unknown(),
  /** The CLI verb, for the session record (cli:<verb>). */
  verb: z.string().optional(),
});

/** The error data of a failed run: the MemoryError code, so the CLI exits as it would in-process. */
export const RunErrorSchema = z.object({ code: z.string().optional() });

/** A whole command line (the arguments after the binary) of a verb the bank server runs itself. */
export const ArgvParamsSchema = z.object({ argv: z.array(z.string()).max(10_000) });

/** What it printed and how it exited; or why the client must run it itself (`fallback`). */
export const ArgvResultSchema = z.union([
  z.object({ stdout: z.string(), stderr: z.string(), exitCode: z.number().int() }),
  z.object({ fallback: z.string() }),
]);
export type ArgvResult = z.infer<typeof ArgvResultSchema>;
