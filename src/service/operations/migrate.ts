/**
 * `memory-bank migrate --from json --to postgres` (or back): the whole store copied between the
 * two backends the config describes (memory.path for json; memory.postgres and the environment
 * for postgres), entry for entry, and checked by counts and a checksum on both sides
 * (store/migrate.ts). memory.backend does not matter here; switch it once the copy succeeded.
 */
import { z } from "zod";
import { BACKENDS } from "../../config/config.js";
import { MemoryBank } from "../bank.js";
import { defineSetupOperation } from "./operation.js";

const Side = z.object({
  entries: z.number().int(),
  sha256: z.string().describe("SHA-256 over every entry in canonical form, sorted by namespace and key"),
});

export const MigrateResultSchema = z.object({
  from: z.string().describe("the source store (a path, or the database and schema; never a credential)"),
  to: z.string().describe("the target store"),
  entries: z.number().int(),
  namespaces: z.number().int(),
  source: Side,
  target: Side,
});
export type MigrateResult = z.infer<typeof MigrateResultSchema>;

export const migrateOperation = defineSetupOperation({
  name: "migrate",
  input: z
    .object({
      from: z.enum(BACKENDS).describe("Where the entries are."),
      to: z.enum(BACKENDS).describe("Where they go; it must be empty."),
    })
    .refine((i) => i.from !== i.to, {
      error: "to names the same backend as from: name two different ones (--from json --to postgres)",
      path: ["to"],
    }),
  output: MigrateResultSchema,
  setup: (input, ctx) =>
    MemoryBank.migrate(ctx.config(), input.from, input.to, {
      log: (m) => ctx.log(m),
      ...(ctx.onProgress ? { onProgress: ctx.onProgress } : {}),
    }),
  render: (r) =>
    `Migrated ${r.entries} entries in ${r.namespaces} namespaces from ${r.from} to ${r.to}; both hold ${r.target.entries} entries, sha256 ${r.target.sha256}`,
});
