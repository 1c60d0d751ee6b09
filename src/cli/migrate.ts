/**
 * `memory-bank migrate --from json --to postgres` (or back): copies the whole store between the
 * two backends the config describes (memory.path for json; memory.postgres and the environment
 * for postgres) and checks the copy (store/migrate.ts). The config's memory.backend does not
 * matter here; switch it once the migration has succeeded.
 */
import type { Command } from "commander";
import { Option } from "commander";
import { type LoadedConfig, loadConfig } from "../config.js";
import { isExpired, projectId, retentionOf } from "../retention.js";
import type { Backend } from "../store/backend.js";
import { JsonStore } from "../store/json-store.js";
import { type MigrateReport, migrateStore } from "../store/migrate.js";
import { PostgresBackend } from "../store/postgres/backend.js";
import { describeTarget, resolveSettings } from "../store/postgres/settings.js";

const KINDS = ["json", "postgres"] as const;
type Kind = (typeof KINDS)[number];

function backendFor(
  kind: Kind,
  loaded: LoadedConfig,
  log: (m: string) => void,
): { backend: Backend; name: string } {
  const retention = retentionOf(loaded.memory, projectId(loaded.projectDir));
  const isExpiredHere = (e: Parameters<typeof isExpired>[0], now: number) => isExpired(e, retention, now);
  if (kind === "postgres") {
    const settings = resolveSettings(loaded.memory.postgres);
    return {
      backend: new PostgresBackend({
        settings,
        fsync: loaded.memory.store.fsync,
        isExpired: isExpiredHere,
        log,
      }),
      name: `${describeTarget(settings)} (schema ${settings.schema})`,
    };
  }
  return {
    backend: new JsonStore({
      dataPath: loaded.dataPath,
      fsync: loaded.memory.store.fsync,
      backupsKept: loaded.memory.store.backupsKept,
      isExpired: isExpiredHere,
      log,
    }),
    name: loaded.dataPath,
  };
}

export function registerMigrate(
  program: Command,
  context: { configPath: () => string | undefined; json: () => boolean; log: (m: string) => void },
): void {
  program
    .command("migrate")
    .description("copy the whole store between backends (json <-> postgres) and verify counts and checksums")
    .addOption(new Option("--from <backend>", "where the entries are").choices(KINDS).makeOptionMandatory())
    .addOption(
      new Option("--to <backend>", "where they go (must be empty)").choices(KINDS).makeOptionMandatory(),
    )
    .action(async (o: { from: Kind; to: Kind }) => {
      if (o.from === o.to) {
        program.error(`--from and --to are both '${o.from}': name two different backends`, { exitCode: 2 });
      }
      const configPath = context.configPath();
      const loaded = loadConfig(configPath ? { configPath } : {});
      const source = backendFor(o.from, loaded, context.log);
      const target = backendFor(o.to, loaded, context.log);
      let report: MigrateReport;
      await source.backend.open();
      try {
        await target.backend.open();
        try {
          report = await migrateStore(source.backend, target.backend);
        } finally {
          await target.backend.close();
        }
      } finally {
        await source.backend.close();
      }
      const result = { from: source.name, to: target.name, ...report };
      process.stdout.write(
        context.json()
          ? `${JSON.stringify(result, null, 2)}\n`
          : `Migrated ${report.entries} entries in ${report.namespaces} namespaces from ${source.name} to ${target.name}; both hold ${report.target.entries} entries, sha256 ${report.target.sha256}\n`,
      );
    });
}
