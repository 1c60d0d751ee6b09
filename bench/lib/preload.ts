/**
 * Preloaded stores. Our snapshot is written with the store's own snapshot writer (so the format can
 * never drift from what the server reads); the peer's file is the JSONL its loadGraph() parses:
 * one {"type":"entity","name","entityType","observations"} object per line; the SQLite peer's
 * database is written by its own bulk loader (bench/peers/sqlite-store.ts). A template of each size
 * is generated once per run and copied for every use, so every measurement starts from the same
 * bytes.
 */
import {
  copyFileSync,
  createWriteStream,
  existsSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Entry } from "../../src/domain/entry.js";
import { writeSnapshot } from "../../src/store/json/snapshot.js";
import { bulkLoad, PEER_DB } from "../peers/sqlite-store.js";
import { entryOf, peerLineOf } from "./corpus.js";

export const DATA_FILE = "claude-flow-data.json";

export class Workspace {
  readonly root: string;
  private readonly templates = new Map<string, string>();

  constructor() {
    this.root = mkdtempSync(path.join(tmpdir(), "memory-bank-bench-"));
  }

  /** A fresh project directory. */
  project(name: string, config: unknown = {}): string {
    const dir = mkdtempSync(path.join(this.root, `${name}-`));
    mkdirSync(path.join(dir, "memory"), { recursive: true, mode: 0o700 });
    writeFileSync(path.join(dir, "claude-flow.config.json"), JSON.stringify(config, null, 2));
    return dir;
  }

  /** A project whose store holds entities 0..n-1 (generation 1 snapshot, empty journal). */
  async ours(
    name: string,
    n: number,
    config: unknown = {},
    namespaces: readonly string[] = ["default"],
  ): Promise<string> {
    const dir = this.project(name, config);
    copyFileSync(await this.ourTemplate(n, namespaces), path.join(dir, "memory", DATA_FILE));
    // A compacted store always has its (empty) journal: without it every start reports one missing.
    writeFileSync(path.join(dir, "memory", DATA_FILE.replace(/\.json$/, ".journal")), "", { mode: 0o600 });
    return dir;
  }

  /** The snapshot file a project made by `ours` starts from. */
  ourTemplateFile(n: number, namespaces: readonly string[] = ["default"]): Promise<string> {
    return this.ourTemplate(n, namespaces);
  }

  /** A peer data file holding entities 0..n-1. */
  async peer(name: string, n: number): Promise<string> {
    const dir = mkdtempSync(path.join(this.root, `${name}-`));
    const file = path.join(dir, "memory.jsonl");
    copyFileSync(await this.peerTemplate(n), file);
    return file;
  }

  /** A project whose SQLite peer database (./memory/sqlite-peer.db) holds entries 0..n-1. */
  async sqlite(name: string, n: number): Promise<string> {
    const dir = this.project(name);
    copyFileSync(await this.sqliteTemplate(n), path.join(dir, PEER_DB));
    return dir;
  }

  /** Milliseconds each template took to write, by template name: preloading is not free. */
  readonly preloadMs = new Map<string, number>();

  private async sqliteTemplate(n: number): Promise<string> {
    const key = `sqlite-${n}`;
    const have = this.templates.get(key);
    if (have) return have;
    const file = path.join(this.root, `template-${n}.db`);
    const t = performance.now();
    bulkLoad(file, n, (i) => entryOf(i));
    this.preloadMs.set(key, performance.now() - t);
    this.templates.set(key, file);
    return file;
  }

  /** Entity i goes to namespaces[i % namespaces.length]. */
  private async ourTemplate(n: number, namespaces: readonly string[]): Promise<string> {
    const key = `ours-${n}-${namespaces.join(",")}`;
    const have = this.templates.get(key);
    if (have) return have;
    const file = path.join(this.root, `template-${n}-${this.templates.size}.json`);
    function* entries(): Generator<Entry> {
      for (let i = 0; i < n; i++) yield entryOf(i, namespaces[i % namespaces.length]);
    }
    const t = performance.now();
    await writeSnapshot(file, 1, entries(), n, { fsync: false });
    this.preloadMs.set(key, performance.now() - t);
    this.templates.set(key, file);
    return file;
  }

  private async peerTemplate(n: number): Promise<string> {
    const key = `peer-${n}`;
    const have = this.templates.get(key);
    if (have) return have;
    const file = path.join(this.root, `template-${n}.jsonl`);
    const out = createWriteStream(file);
    let batch: string[] = [];
    for (let i = 0; i < n; i++) {
      batch.push(peerLineOf(i));
      if (batch.length === 5000 || i === n - 1) {
        // The peer joins lines with "\n" and no trailing newline; it splits on "\n" either way.
        const chunk = (i + 1 > batch.length ? "\n" : "") + batch.join("\n");
        if (!out.write(chunk)) await new Promise<void>((r) => out.once("drain", () => r()));
        batch = [];
      }
    }
    await new Promise<void>((resolve, reject) => out.end((e?: Error | null) => (e ? reject(e) : resolve())));
    this.templates.set(key, file);
    return file;
  }

  dispose(): void {
    // A server killed at shutdown may still be finishing a write: retry instead of failing the run.
    rmSync(this.root, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 });
  }
}

export function sizeOf(file: string): number {
  return existsSync(file) ? statSync(file).size : 0;
}

export function storeFiles(dir: string): { snapshot: number; journal: number } {
  return {
    snapshot: sizeOf(path.join(dir, "memory", DATA_FILE)),
    journal: sizeOf(path.join(dir, "memory", DATA_FILE.replace(/\.json$/, ".journal"))),
  };
}
