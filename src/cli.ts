#!/usr/bin/env node
/**
 * The `memory-bank` command: `serve` runs the MCP server on stdio; every other verb is a thin shell
 * over the same service functions the MCP tools call (parse, call, render), run by a process that
 * shares the store with the servers and therefore closes the bank (compaction) before it exits.
 * Exit codes: 0 success, 1 error (one line on stderr), 2 bad usage.
 */
import { existsSync, statSync } from "node:fs";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { Command, CommanderError, Option } from "commander";
import { analyze } from "./analyze.js";
import { concurrentExport } from "./backup.js";
import { cleanup, readRetentionFile } from "./cleanup.js";
import { registerMigrate } from "./cli/migrate.js";
import { type LoadedConfig, loadConfig } from "./config.js";
import { debugInfo } from "./debug.js";
import { deleteEntries } from "./delete.js";
import { errorMessage, MemoryError } from "./errors.js";
import { importFrom, readEntriesFile } from "./importer.js";
import { init } from "./init.js";
import { indexStatus, validateStore } from "./integrity.js";
import { withIoMessage } from "./io-errors.js";
import { MemoryBank, type MemoryBankOptions } from "./memory.js";
import {
  BatchStoreInputSchema,
  CleanupInputSchema,
  DeleteInputSchema,
  EXPORT_FORMATS,
  ExportInputSchema,
  GetInputSchema,
  IMPORT_FORMATS,
  ImportInputSchema,
  type ItemError,
  MEMORY_TYPES,
  ON_CONFLICT,
  ParallelQueryInputSchema,
  parseInput,
  QueryInputSchema,
  SEARCH_MODES,
  StoreInputSchema,
} from "./model.js";
import { progressBar } from "./progress.js";
import { getEntry } from "./read.js";
import { performanceReport } from "./report.js";
import { listSessions, SessionRecorder, sessionsDir } from "./sessions.js";
import { collectStats } from "./stats.js";
import { bytes, type Cell, pairs, table } from "./table.js";
import { VERSION } from "./version.js";

const log = (m: string) => process.stderr.write(`memory-bank: ${m}\n`);

interface Globals {
  config?: string;
  json?: boolean;
  verbose?: boolean;
  batchtools?: boolean;
}

/** What a verb hands back: the machine-readable result, its rendering, and whether it failed. */
interface Outcome<T> {
  result: T;
  render: (o: T) => string;
  /** A one-line reason when the verb did its work but the outcome is a failure (exit 1). */
  failure?: string;
  items?: number;
}

const list = (s: string) =>
  s
    .split(",")
    .map((x) => x.trim())
    .filter(Boolean);

export function buildCli(): Command {
  const program = new Command("memory-bank")
    .description("Persistent, shared memory for LLM agents: MCP server and command line")
    .version(VERSION)
    .option("--config <file>", "config file (default ./claude-flow.config.json, or $MEMORY_BANK_CONFIG)")
    .option("--json", "print machine-readable JSON instead of tables")
    .option("--verbose", "more detail, and the store's log lines on stderr")
    .option("--batchtools", "run batch work through the parallel executor (batchtools.enabled)")
    .showHelpAfterError()
    .exitOverride();

  const g = () => program.opts<Globals>();

  /** Opens the bank, records the run in a session record, prints the outcome, always closes. */
  const run = <T>(
    verb: string,
    work: (bank: MemoryBank, loaded: LoadedConfig) => Promise<Outcome<T>>,
    bankOptions: Partial<MemoryBankOptions> = {},
  ) => {
    return async () => {
      const loaded = loadConfig(configSource(g()));
      for (const w of loaded.warnings) log(`warning: ${w}`);
      if (g().batchtools) loaded.memory.batchtools.enabled = true;
      const bank = await MemoryBank.open(loaded, { log: storeLog(g().verbose ?? false), ...bankOptions });
      let recorder: SessionRecorder | undefined;
      try {
        recorder = await SessionRecorder.start(sessionsDir(bank.dataPath), bank.retention, {
          now: () => bank.store.now(),
          kind: "cli",
          command: verb,
          log,
        });
        const op = recorder.begin(`cli:${verb}`);
        let outcome: Outcome<T>;
        try {
          outcome = await work(bank, loaded);
          op.end(undefined, outcome.items);
        } catch (thrown) {
          const error = withIoMessage(thrown);
          op.end(error instanceof MemoryError ? error.code : "INTERNAL");
          throw error;
        }
        emit(outcome, g().json ?? false);
      } finally {
        await recorder?.close();
        await bank.close();
      }
    };
  };

  program
    .command("serve")
    .description("run the MCP server on stdio (stdout carries protocol only)")
    .action(async () => {
      const loaded = loadConfig(configSource(g()));
      // Loaded on demand: the MCP SDK is most of the startup time, and no other verb needs it.
      const { serveStdio } = await import("./server.js");
      const running = await serveStdio(loaded, log);
      await running.done;
      process.exit(0);
    });

  program
    .command("store")
    .description(
      "store or update one entry (VALUE is parsed as JSON when it is valid JSON, else kept as text)",
    )
    .argument("<key>")
    .argument("<value>")
    .option("--namespace <ns>", "namespace", "default")
    .addOption(new Option("--type <type>", "memory type").choices(MEMORY_TYPES))
    .option("--tags <a,b>", "comma-separated tags", list)
    .option("--ttl <duration>", "time to live, e.g. 30d, 12h, 15m")
    .option("--metadata <json>", "a JSON object stored with the entry")
    .option("--if-version <n>", "store only if the current version is n (0: only if new)", (v) => Number(v))
    .option("--string", "store VALUE as text even if it parses as JSON")
    .action((key: string, value: string, o) =>
      run("store", async (bank) => {
        const input = parseInput(StoreInputSchema, {
          key,
          value: o.string ? value : parseValue(value),
          namespace: o.namespace,
          ...(o.type ? { type: o.type } : {}),
          ...(o.tags ? { tags: o.tags } : {}),
          ...(o.ttl ? { ttl: o.ttl } : {}),
          ...(o.metadata ? { metadata: parseJsonOption(o.metadata, "--metadata") } : {}),
          ...(o.ifVersion !== undefined ? { ifVersion: o.ifVersion } : {}),
        });
        const result = await bank.storeEntry(input);
        return out({
          result,
          render: (r) =>
            `${r.created ? "Stored" : "Updated"} '${r.entry.key}' in '${r.entry.namespace}' (version ${r.entry.version}${r.entry.expiresAt ? `, expires ${r.entry.expiresAt}` : ""})`,
        });
      })(),
    );

  program
    .command("get")
    .description("print one entry (exit 1 when there is none)")
    .argument("<key>")
    .option("--namespace <ns>", "namespace", "default")
    .action((key: string, o) =>
      run("get", async (bank) => {
        const result = getEntry(bank, parseInput(GetInputSchema, { key, namespace: o.namespace }));
        return out({
          result,
          render: (r) =>
            r.entry
              ? pairs([
                  ["key", r.entry.key],
                  ["namespace", r.entry.namespace],
                  ["type", r.entry.type],
                  ["tags", r.entry.tags.join(", ")],
                  ["version", r.entry.version],
                  ["created", r.entry.createdAt],
                  ["updated", r.entry.updatedAt],
                  ["expires", r.expiresAt ?? "never"],
                  ["metadata", JSON.stringify(r.entry.metadata)],
                  [
                    "value",
                    typeof r.entry.value === "string"
                      ? r.entry.value
                      : JSON.stringify(r.entry.value, null, 2),
                  ],
                ])
              : "",
          ...(result.found ? {} : { failure: `no entry '${key}' in namespace '${o.namespace}'` }),
        });
      })(),
    );

  program
    .command("delete")
    .description("delete one key, or every key with --prefix and/or --tags")
    .argument("[key]")
    .option("--namespace <ns>", "namespace", "default")
    .option("--prefix <prefix>", "delete every key starting with this prefix")
    .option("--tags <a,b>", "delete entries carrying all these tags", list)
    .option("--dry-run", "only list what would be deleted")
    .action((key: string | undefined, o) =>
      run("delete", async (bank) => {
        const input = parseInput(DeleteInputSchema, {
          ...(key !== undefined ? { key } : {}),
          ...(o.prefix !== undefined ? { keyPrefix: o.prefix } : {}),
          ...(o.tags ? { tags: o.tags } : {}),
          namespace: o.namespace,
          dryRun: o.dryRun ?? false,
        });
        const result = await deleteEntries(bank, input);
        return out({
          result,
          items: result.deleted,
          render: (r) =>
            [
              `${r.dryRun ? "Would delete" : "Deleted"} ${r.deleted} entr${r.deleted === 1 ? "y" : "ies"} from '${r.namespace}'`,
              ...r.keys.map((k) => `  ${k}`),
              ...(r.truncated ? ["  …"] : []),
            ].join("\n"),
        });
      })(),
    );

  program
    .command("query")
    .description("search entries: ranked, typo-tolerant full text over keys, values and tags")
    .argument("<search>")
    .option("--namespace <ns>", "one namespace")
    .option("--namespaces <a,b>", "several namespaces", list)
    .option("--tags <a,b>", "only entries carrying all these tags", list)
    .addOption(new Option("--type <type>", "only this memory type").choices(MEMORY_TYPES))
    .addOption(new Option("--mode <mode>", "search mode").choices(SEARCH_MODES))
    .option("--limit <n>", "results (1..1000)", (v) => Number(v), 10)
    .option("--include-expired", "also show expired entries not yet cleaned up")
    .action((search: string, o) =>
      run("query", async (bank) => {
        const result = await bank.search(
          parseInput(QueryInputSchema, {
            query: search,
            ...(o.namespace ? { namespace: o.namespace } : {}),
            ...(o.namespaces ? { namespaces: o.namespaces } : {}),
            ...(o.tags ? { tags: o.tags } : {}),
            ...(o.type ? { type: o.type } : {}),
            ...(o.mode ? { mode: o.mode } : {}),
            ...(o.includeExpired ? { includeExpired: true } : {}),
            limit: o.limit,
          }),
        );
        return out({
          result,
          render: (r) =>
            r.results.length === 0
              ? "No entries matched."
              : table(
                  ["namespace", "key", "score", "value"],
                  r.results.map((x) => [x.namespace, x.key, round(x.score), brief(x.value, 60)]),
                ),
        });
      })(),
    );

  program
    .command("stats")
    .description("entries per namespace and type, disk usage, index, cache, processes")
    .option("--namespace <ns>", "only this namespace")
    .option("--concurrent", "also list the processes using the store and what they are doing")
    .action((o) =>
      run("stats", async (bank) => {
        const result = await collectStats(bank, {
          ...(o.namespace ? { namespace: o.namespace } : {}),
          verbose: g().verbose ?? false,
        });
        return out({
          result,
          render: (r) =>
            [
              table(
                [
                  "namespace",
                  "live",
                  "expired",
                  "retention",
                  ...(g().verbose ? ["value bytes"] : []),
                  "types",
                ],
                r.namespaces.map((n) => [
                  n.namespace,
                  n.entries,
                  n.expired,
                  n.retention,
                  ...(g().verbose ? [n.valueBytes ?? 0] : []),
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
                [
                  "cache",
                  `${r.cache.hits} hits, ${r.cache.misses} misses (${(r.cache.hitRate * 100).toFixed(1)}%)`,
                ],
                ["generation", r.store.generation],
                ["last compaction", r.store.lastCompaction ?? "never"],
                ["processes", r.processes.length],
              ]),
              ...(o.concurrent ? ["", processTable(r.processes)] : []),
            ].join("\n"),
        });
      })(),
    );

  program
    .command("export")
    .description("write entries to FILE (inside the project) as json or jsonl, optionally gzipped")
    .argument("<file>")
    .option("--namespace <ns>", "only this namespace")
    .option("--namespaces <a,b>", "only these namespaces", list)
    .addOption(new Option("--format <format>", "file format").choices(EXPORT_FORMATS))
    .option("--compress", "gzip the file (adds .gz)")
    .option("--include-expired", "also export expired entries not yet cleaned up")
    .action((file: string, o) =>
      run("export", async (bank) => {
        const namespaces = [...(o.namespace ? [o.namespace] : []), ...(o.namespaces ?? [])];
        const input = parseInput(ExportInputSchema, {
          path: path.resolve(file),
          ...(namespaces.length ? { namespaces } : {}),
          format: o.format ?? (/\.jsonl(\.gz)?$/.test(file) ? "jsonl" : "json"),
          compress: o.compress ?? file.endsWith(".gz"),
          includeExpired: o.includeExpired ?? false,
        });
        // One atomic write: the bar marks start and finish, there is nothing in between to count.
        const bar = progressBar("export", showBars(g()));
        bar.onProgress?.(0, bank.store.size);
        const result = await bank.exportTo(input).finally(() => bar.stop());
        return out({
          result,
          items: result.entries,
          render: (r) => `Exported ${r.entries} entries to ${r.path} (${bytes(r.bytes)}, sha256 ${r.sha256})`,
        });
      })(),
    );

  program
    .command("import")
    .description(
      "import a file or backup folder: our exports (json, jsonl, .gz), a snapshot, the memory server's JSONL",
    )
    .argument("<file>")
    .option("--namespace <ns>", "put every entry into this namespace")
    .addOption(new Option("--on-conflict <mode>", "when a key exists").choices(ON_CONFLICT))
    .addOption(new Option("--format <format>", "source format (default: detected)").choices(IMPORT_FORMATS))
    .option("--parallel", "write chunks concurrently (batchtools)")
    .action((file: string, o) =>
      run("import", async (bank) => {
        if (o.parallel) bank.config.batchtools.enabled = true;
        const input = parseInput(ImportInputSchema, {
          path: path.resolve(file),
          ...(o.namespace ? { namespace: o.namespace } : {}),
          ...(o.onConflict ? { onConflict: o.onConflict } : {}),
          ...(o.format ? { format: o.format } : {}),
        });
        const bar = progressBar("import", showBars(g()));
        const result = await importFrom(bank, input, bar).finally(() => bar.stop());
        return out({
          result,
          items: result.read,
          render: (r) =>
            [
              `Imported ${r.path} (${r.format}): read ${r.read}, stored ${r.stored}, updated ${r.updated}, skipped ${r.skipped}, expired ${r.expired}, failed ${r.failed}${r.verified ? `, ${r.verified} backup file(s) verified` : ""}`,
              ...itemErrors(r.errors),
            ].join("\n"),
          ...(result.failed > 0
            ? { failure: `${result.failed} of ${result.read} records failed (listed above)` }
            : {}),
        });
      })(),
    );

  program
    .command("batch-store")
    .description(
      "store the entries of FILE (a JSON array, {entries: [...]}, or JSON lines) in parallel chunks",
    )
    .argument("<file>")
    .option("--namespace <ns>", "namespace for entries that name none")
    .addOption(new Option("--on-conflict <mode>", "when a key exists").choices(ON_CONFLICT))
    .option("--atomic", "all or nothing")
    .option("--parallel", "write chunks concurrently (batchtools)")
    .action((file: string, o) =>
      run("batch-store", async (bank) => {
        if (o.parallel) bank.config.batchtools.enabled = true;
        const records = await readEntriesFile(path.resolve(file), file);
        const bad: ItemError[] = [];
        const entries: Array<Record<string, unknown>> = [];
        const positions: number[] = [];
        records.forEach((r, i) => {
          if ("error" in r) bad.push({ index: i, message: r.error });
          else {
            entries.push(r.raw);
            positions.push(i);
          }
        });
        if (entries.length === 0) {
          throw new MemoryError(
            "INVALID_INPUT",
            `'${file}' holds no readable entries${bad[0] ? ` (${bad[0].message})` : ""}`,
          );
        }
        const input = parseInput(BatchStoreInputSchema, {
          entries,
          ...(o.namespace ? { namespace: o.namespace } : {}),
          ...(o.onConflict ? { onConflict: o.onConflict } : {}),
          ...(o.atomic ? { atomic: true } : {}),
        });
        const bar = progressBar("batch-store", showBars(g()));
        const stored = await bank.batchStore(input, bar).finally(() => bar.stop());
        const errors = [
          ...bad,
          ...stored.errors.map((e) => ({ ...e, index: positions[e.index] ?? e.index })),
        ].sort((a, b) => a.index - b.index);
        const result = { ...stored, failed: stored.failed + bad.length, errors };
        return out({
          result,
          items: records.length,
          render: (r) =>
            [
              `Stored ${r.stored} new, updated ${r.updated}, skipped ${r.skipped}, failed ${r.failed}`,
              ...itemErrors(r.errors),
            ].join("\n"),
          ...(result.failed > 0
            ? { failure: `${result.failed} of ${records.length} entries failed (listed above)` }
            : {}),
        });
      })(),
    );

  program
    .command("parallel-query")
    .description(
      "run many searches at once: FILE holds a JSON array or one search per line; otherwise the text is the search",
    )
    .argument("<file-or-search>")
    .option("--namespaces <a,b>", "run each search in each of these namespaces", list)
    .option("--limit <n>", "results per search", (v) => Number(v), 5)
    .action((arg: string, o) =>
      run("parallel-query", async (bank) => {
        const queries = await readQueries(arg);
        const input = parseInput(ParallelQueryInputSchema, {
          queries,
          ...(o.namespaces ? { namespaces: o.namespaces } : {}),
          limit: o.limit,
        });
        const result = await bank.parallelQuery(input);
        return out({
          result,
          items: result.results.length,
          render: (r) =>
            [
              table(
                ["query", "namespace", "hits", "top key", "top value"],
                r.results.map((x) => [
                  x.query,
                  x.namespace ?? "*",
                  x.error ? `error: ${x.error}` : x.results.length,
                  x.results[0]?.key,
                  x.results[0] ? brief(x.results[0].value, 40) : "",
                ]),
              ),
              `${r.results.length} search(es) in ${r.tookMs} ms`,
            ].join("\n"),
        });
      })(),
    );

  program
    .command("concurrent-export")
    .description(
      "back up every namespace into memory/backups/NAME/ (one file each, plus a manifest with sha256s)",
    )
    .argument("<name>")
    .option("--compress", "gzip each file")
    .option("--parallel", "write the namespaces concurrently")
    .option("--namespaces <a,b>", "only these namespaces", list)
    .action((name: string, o) =>
      run("concurrent-export", async (bank) => {
        const bar = progressBar("concurrent-export", showBars(g()));
        const result = await concurrentExport(bank, name, {
          compress: o.compress ?? false,
          parallel: o.parallel ?? false,
          ...(o.namespaces ? { namespaces: o.namespaces } : {}),
          ...bar,
        }).finally(() => bar.stop());
        return out({
          result,
          items: result.manifest.total,
          render: (r) =>
            [
              table(
                ["namespace", "file", "entries", "bytes", "sha256"],
                r.manifest.files.map((f) => [f.namespace, f.file, f.entries, f.bytes, f.sha256.slice(0, 16)]),
              ),
              `Backup '${r.name}': ${r.manifest.total} entries in ${r.manifest.files.length} file(s) under ${r.dir} (${r.tookMs} ms); restore with: memory-bank import ${r.dir}`,
            ].join("\n"),
        });
      })(),
    );

  program
    .command("batch-cleanup")
    .description("remove entries past their TTL or retention; RETENTION-FILE overrides policies for this run")
    .argument("[retention-file]")
    .option("--namespaces <a,b>", "only these namespaces", list)
    .option("--dry-run", "only report what would be removed")
    .option("--parallel", "clean namespaces concurrently (batchtools)")
    .action((file: string | undefined, o) =>
      run("batch-cleanup", async (bank) => {
        if (o.parallel) bank.config.batchtools.enabled = true;
        const policies = file ? await readRetentionFile(path.resolve(file)) : undefined;
        const input = parseInput(CleanupInputSchema, {
          ...(o.namespaces ? { namespaces: o.namespaces } : {}),
          dryRun: o.dryRun ?? false,
        });
        const bar = progressBar("cleanup", showBars(g()));
        const result = await cleanup(bank, input, { ...bar, ...(policies ? { policies } : {}) }).finally(() =>
          bar.stop(),
        );
        return out({
          result,
          items: result.namespaces.reduce((n, x) => n + x.scanned, 0),
          render: (r) =>
            [
              table(
                ["namespace", "retention", "scanned", r.dryRun ? "would remove" : "removed"],
                [
                  ...r.namespaces.map((n) => [n.namespace, n.retention, n.scanned, n.removed] as Cell[]),
                  ...r.skipped.map((s) => [s.namespace, s.reason, null, null] as Cell[]),
                ],
              ),
              `${r.dryRun ? "Would remove" : "Removed"} ${r.removed} expired entr${r.removed === 1 ? "y" : "ies"} in ${r.tookMs} ms`,
              ...(g().verbose ? r.namespaces.flatMap((n) => n.keys.map((k) => `  ${n.namespace}/${k}`)) : []),
            ].join("\n"),
        });
      })(),
    );

  program
    .command("index-status")
    .description(
      "search index terms and documents, store generation, journal length, last compaction, consistency",
    )
    .action(() =>
      run("index-status", async (bank) => {
        const result = await indexStatus(bank);
        return out({
          result,
          render: (r) =>
            pairs([
              ["entries", r.entries],
              ["indexed", r.indexed],
              ["terms", r.terms],
              ["generation", r.generation],
              ["journal", `${r.journal.records} records, ${bytes(r.journal.bytes)}`],
              ["last compaction", r.lastCompaction ?? "never"],
              ["consistency", r.summary],
            ]),
        });
      })(),
    );

  program
    .command("index-validate")
    .description("check every journal checksum, the snapshot and the index; --repair fixes what it finds")
    .option(
      "--repair",
      "rebuild the index, cut a torn journal tail (keeping a copy), recover a corrupt snapshot",
    )
    .action(async (o) => {
      const loaded = loadConfig(configSource(g()));
      const repair = o.repair ?? false;
      const { report, bank } = await validateStore(loaded.dataPath, repair, (rebuildWithoutBackup) =>
        MemoryBank.open(loaded, { log: storeLog(g().verbose ?? false), rebuildWithoutBackup }),
      );
      try {
        emit(
          {
            result: report,
            render: (r) =>
              [
                table(
                  ["check", "ok", "detail"],
                  r.checks.map((c) => [c.name, c.ok ? "yes" : "NO", c.detail]),
                ),
                ...(r.actions.length ? ["", "Repairs:", ...r.actions.map((a) => `- ${a}`)] : []),
              ].join("\n"),
            ...(report.ok
              ? {}
              : {
                  failure: `${report.checks.filter((c) => !c.ok).length} check(s) failed${repair ? " after repair" : ": run 'memory-bank index-validate --repair'"}`,
                }),
          },
          g().json ?? false,
        );
      } finally {
        await bank?.close();
      }
    });

  program
    .command("performance-report")
    .description(
      "p50/p95 latency per operation, batch throughput, errors and retries, across session records",
    )
    .action(() =>
      run("performance-report", async (bank) => {
        const { sessions } = await listSessions(sessionsDir(bank.dataPath), bank.store.now());
        const result = performanceReport(sessions);
        return out({
          result,
          render: (r) =>
            [
              table(
                ["operation", "calls", "errors", "p50 ms", "p95 ms", "mean ms", "max ms", "items/s"],
                r.operations.map((x) => [
                  x.op,
                  x.count,
                  x.errors,
                  x.p50Ms,
                  x.p95Ms,
                  x.meanMs,
                  x.maxMs,
                  x.itemsPerSec,
                ]),
              ),
              `${r.sessions} session record(s) (${r.alive} running)${r.since ? ` since ${r.since}` : ""}: ${r.calls} calls, ${r.errors} errors, ${r.retries} retries`,
            ].join("\n"),
        });
      })(),
    );

  program
    .command("debug")
    .description("config, files, store state and problems; --concurrent lists the processes using the store")
    .option("--concurrent", "list live processes and what they are doing, and stale records of dead ones")
    .action((o) =>
      run("debug", async (bank, loaded) => {
        const result = await debugInfo(bank, loaded, {
          concurrent: o.concurrent ?? false,
          all: g().verbose ?? false,
        });
        return out({
          result,
          render: (r) =>
            [
              pairs([
                ["version", `${r.version} (node ${r.node}, pid ${r.pid})`],
                ["project", r.projectDir],
                ["config", r.configFile ?? "defaults (no claude-flow.config.json)"],
                ["snapshot", r.files.snapshot],
                [
                  "journal",
                  `${r.files.journal} (${r.store.journalRecords} records, ${bytes(r.store.journalBytes)})`,
                ],
                ["entries", `${r.store.entries} (generation ${r.store.generation})`],
                ["lock", r.store.lockHeld ? "held by a writer right now" : "free"],
                ["problems", r.store.problems.length],
                ["warnings", r.warnings.join("; ") || "none"],
              ]),
              ...r.store.problems.map((p) => `- ${p.at} ${p.kind}: ${p.detail}`),
              ...(o.concurrent ? ["", processTable(r.processes)] : []),
            ].join("\n"),
        });
      })(),
    );

  program
    .command("analyze")
    .description("namespace sizes, largest entries, duplicate values, tag usage, growth over time")
    .option("--namespace <ns>", "only this namespace")
    .option("--top <n>", "rows per section", (v) => Number(v), 10)
    .action((o) =>
      run("analyze", async (bank) => {
        const result = analyze(bank, { ...(o.namespace ? { namespace: o.namespace } : {}), top: o.top });
        return out({
          result,
          render: (r) =>
            [
              `${r.entries} live entries, ${bytes(r.valueBytes)} of values`,
              "",
              table(
                ["namespace", "entries", "value bytes", "share"],
                r.namespaces.map((n) => [
                  n.namespace,
                  n.entries,
                  n.valueBytes,
                  `${(n.share * 100).toFixed(1)}%`,
                ]),
              ),
              "",
              "Largest entries:",
              table(
                ["namespace", "key", "value bytes"],
                r.largest.map((x) => [x.namespace, x.key, x.valueBytes]),
              ),
              "",
              "Duplicate values:",
              r.duplicates.length
                ? table(
                    ["copies", "value bytes", "keys"],
                    r.duplicates.map((d) => [d.count, d.valueBytes, d.keys.join(", ")]),
                  )
                : "none",
              "",
              "Tags:",
              r.tags.length
                ? table(
                    ["tag", "entries"],
                    r.tags.map((t) => [t.tag, t.count]),
                  )
                : "none",
              "",
              "Growth (entries created per day):",
              r.growth.length
                ? table(
                    ["day", "created", "total"],
                    r.growth.map((x) => [x.day, x.created, x.total]),
                  )
                : "none",
            ].join("\n"),
        });
      })(),
    );

  program
    .command("init")
    .description(
      "register the server in this project's .mcp.json (keeping other servers) and write a default config",
    )
    .option("--npx", "start the server with `npx memory-bank serve` instead of node and an absolute path")
    .action(async (o) => {
      const result = await init(process.cwd(), { npx: o.npx ?? false });
      emit(
        {
          result,
          render: (r) =>
            [
              `${r.mcpJson.path}: ${r.mcpJson.action} (servers: ${r.mcpJson.servers.join(", ")})`,
              `${r.config.path}: ${r.config.action === "created" ? "created with defaults" : "kept as it is"}`,
              `server command: ${r.command.join(" ")}`,
            ].join("\n"),
        },
        g().json ?? false,
      );
    });

  registerMigrate(program, {
    configPath: () => g().config,
    json: () => g().json ?? false,
    log: (m) => storeLog(g().verbose ?? false)(m),
  });
  return program;
}

/** Pins T to the result's type before the render callback is checked against it. */
function out<T>(outcome: Outcome<T>): Outcome<T> {
  return outcome;
}

function emit<T>(outcome: Outcome<T>, json: boolean): void {
  const text = json ? JSON.stringify(outcome.result, null, 2) : outcome.render(outcome.result);
  if (text) process.stdout.write(`${text}\n`);
  if (outcome.failure) {
    process.stderr.write(`memory-bank: ${outcome.failure}\n`);
    process.exitCode = 1;
  }
}

function processTable(
  processes: ReadonlyArray<{
    pid: number;
    kind: string;
    command?: string;
    client?: string;
    status: string;
    startedAt: string;
    lastSeen: string;
    calls: number;
    errors: number;
    inFlight: Array<{ op: string; startedAt: string }>;
  }>,
): string {
  if (processes.length === 0) return "No processes are using the store.";
  return table(
    ["pid", "kind", "client / command", "status", "started", "last seen", "calls", "errors", "in flight"],
    processes.map((p) => [
      p.pid,
      p.kind,
      p.client ?? p.command ?? "",
      p.status === "stale" ? "STALE (process gone)" : p.status,
      p.startedAt,
      p.lastSeen,
      p.calls,
      p.errors,
      p.inFlight.map((f) => `${f.op} since ${f.startedAt}`).join("; "),
    ]),
  );
}

function itemErrors(errors: ItemError[]): string[] {
  return [
    ...errors.slice(0, 20).map((e) => `- #${e.index}${e.key ? ` '${e.key}'` : ""}: ${e.message}`),
    ...(errors.length > 20 ? [`- ... and ${errors.length - 20} more`] : []),
  ];
}

function showBars(globals: Globals): boolean {
  return !globals.json && process.stdout.isTTY === true;
}

function storeLog(verbose: boolean): (m: string) => void {
  // Routine compaction at exit is noise for a CLI run; problems the store reports are not.
  return (m) => {
    if (verbose || !m.startsWith("compacted")) log(m);
  };
}

function parseValue(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function parseJsonOption(text: string, flag: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new MemoryError("INVALID_INPUT", `${flag} is not valid JSON: ${(error as Error).message}`);
  }
}

/** A file of searches (a JSON array, or one per line) when the argument names one; else the search itself. */
async function readQueries(arg: string): Promise<unknown[]> {
  const file = path.resolve(arg);
  if (!existsSync(file) || !statSync(file).isFile()) return [arg];
  const text = await readFile(file, "utf8");
  const trimmed = text.trim();
  if (trimmed.startsWith("[")) {
    try {
      return JSON.parse(trimmed);
    } catch (error) {
      throw new MemoryError(
        "INVALID_INPUT",
        `'${arg}' is not a valid JSON array of searches: ${(error as Error).message}`,
      );
    }
  }
  return trimmed
    .split("\n")
    .map((l) => l.trim())
    .filter(Boolean);
}

function brief(value: unknown, max: number): string {
  const s = typeof value === "string" ? value : JSON.stringify(value);
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

function round(n: number): number {
  return Math.round(n * 1000) / 1000;
}

function configSource(globals: Globals) {
  return globals.config ? { configPath: globals.config } : {};
}

async function main(argv: string[]): Promise<void> {
  const program = buildCli();
  try {
    await program.parseAsync(argv);
  } catch (thrown) {
    const error = withIoMessage(thrown);
    if (error instanceof CommanderError) {
      process.exit(error.exitCode === 0 ? 0 : 2);
    }
    if (error instanceof MemoryError) {
      process.stderr.write(`memory-bank: ${error.message}\n`);
      process.exit(1);
    }
    // One line for people and scripts; the stack only when asked for.
    const verbose = argv.includes("--verbose");
    process.stderr.write(
      `memory-bank: ${verbose ? ((error as Error)?.stack ?? errorMessage(error)) : errorMessage(error)}\n`,
    );
    process.exit(1);
  }
}

await main(process.argv);
