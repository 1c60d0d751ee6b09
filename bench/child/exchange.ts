/**
 * Export/import and cleanup, each done the fast (batchtools) way and the sequential way, on fresh
 * copies of the same store, alternating the order between rounds. Prints one JSON object.
 *
 *   node dist/bench/child/exchange.js '{"root":"...","exportTemplate":"...","cleanupTemplate":"...","rounds":2}'
 */
import { copyFileSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import path from "node:path";
import { loadConfig } from "../../src/config/config.js";
import { MemoryBank } from "../../src/service/bank.js";
import { cleanup } from "../../src/service/operations/cleanup.js";
import { exportOperation } from "../../src/service/operations/export.js";
import { concurrentExport } from "../../src/transfer/backup-folder.js";
import { importFrom } from "../../src/transfer/importer.js";

interface Args {
  root: string;
  exportTemplate: string;
  cleanupTemplate: string;
  rounds: number;
}

const args = JSON.parse(process.argv[2] ?? "{}") as Args;
const silent = () => {};

function project(name: string, template?: string): string {
  const dir = mkdtempSync(path.join(args.root, `${name}-`));
  mkdirSync(path.join(dir, "memory"), { recursive: true, mode: 0o700 });
  writeFileSync(path.join(dir, "claude-flow.config.json"), "{}");
  if (template) copyFileSync(template, path.join(dir, "memory", "claude-flow-data.json"));
  return dir;
}

async function open(dir: string, batchtools: boolean): Promise<MemoryBank> {
  const loaded = loadConfig({ cwd: dir });
  loaded.memory.batchtools.enabled = batchtools;
  return MemoryBank.open(loaded, { log: silent });
}

async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const t = performance.now();
  const value = await fn();
  return { ms: performance.now() - t, value };
}

const out = {
  exportParallel: [] as number[],
  exportSequential: [] as number[],
  exportSingleFile: [] as number[],
  importBatch: [] as number[],
  importSequential: [] as number[],
  cleanupParallel: [] as number[],
  cleanupSequential: [] as number[],
  entries: 0,
  namespaces: 0,
  expired: 0,
};

for (let r = 0; r < args.rounds; r++) {
  // Export: one store, three ways to write it out.
  const src = project("export", args.exportTemplate);
  const bank = await open(src, true);
  out.entries = bank.read().size;
  out.namespaces = bank.read().namespaces().length;
  const order = r % 2 === 0 ? ["par", "seq", "one"] : ["one", "seq", "par"];
  for (const way of order) {
    if (way === "one")
      out.exportSingleFile.push(
        (await timed(async () => exportOperation.run(bank, { path: `memory/exports/all-${r}.json` }, {}))).ms,
      );
    else {
      const t = await timed(() => concurrentExport(bank, `bk-${way}-${r}`, { parallel: way === "par" }));
      (way === "par" ? out.exportParallel : out.exportSequential).push(t.ms);
    }
  }
  await bank.close();

  // Import: the concurrent-export folder through batchtools, the single file one entry at a time.
  for (const way of r % 2 === 0 ? ["batch", "seq"] : ["seq", "batch"]) {
    const dst = project(`import-${way}`);
    // Import paths must be inside the project: copy the exported data in.
    const from =
      way === "batch"
        ? path.join(src, "memory", "backups", `bk-par-${r}`)
        : path.join(src, "memory", "exports", `all-${r}.json`);
    const rel = way === "batch" ? "incoming" : "incoming.json";
    const { cpSync } = await import("node:fs");
    cpSync(from, path.join(dst, rel), { recursive: true });
    const target = await open(dst, way === "batch");
    const t = await timed(() => importFrom(target, { path: rel }));
    if (t.value.stored !== out.entries) throw new Error(`import stored ${t.value.stored} of ${out.entries}`);
    (way === "batch" ? out.importBatch : out.importSequential).push(t.ms);
    await target.close();
  }

  // Cleanup: the same expired entries removed with namespaces in parallel, and one at a time.
  for (const way of r % 2 === 0 ? ["par", "seq"] : ["seq", "par"]) {
    const dir = project(`cleanup-${way}`, args.cleanupTemplate);
    const b = await open(dir, way === "par");
    const t = await timed(() => cleanup(b, {}));
    out.expired = t.value.removed;
    (way === "par" ? out.cleanupParallel : out.cleanupSequential).push(t.ms);
    await b.close();
  }
}
process.stdout.write(`${JSON.stringify(out)}\n`);
process.exit(0);
