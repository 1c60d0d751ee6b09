/**
 * Every `memory-bank` verb over the real binary in fresh project directories: output (tables and
 * --json), exit codes (0 ok, 1 error with one line on stderr, 2 bad usage) and bad input.
 */
import {
  appendFileSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { removeProject, tempProject } from "../helpers.js";
import { cli, cliJson } from "./run.js";

const VERBS = [
  "serve",
  "store",
  "get",
  "delete",
  "query",
  "list",
  "stats",
  "export",
  "import",
  "batch-store",
  "parallel-query",
  "concurrent-export",
  "batch-cleanup",
  "index-status",
  "index-validate",
  "performance-report",
  "debug",
  "analyze",
  "init",
];

// Every test spawns the CLI a few times: seconds apiece on a busy 2-core machine.
vi.setConfig({ testTimeout: 60_000 });

const dirs: string[] = [];
function project(config?: unknown): string {
  const d = tempProject(config);
  dirs.push(d);
  return d;
}
afterAll(() => {
  for (const d of dirs) removeProject(d);
});

describe("usage", () => {
  it("--help lists every verb; bad usage exits 2", async () => {
    const dir = project();
    const help = await cli(dir, ["--help"]);
    expect(help.code).toBe(0);
    for (const v of VERBS) expect(help.stdout).toMatch(new RegExp(`^  ${v}\\b`, "m"));
    expect((await cli(dir, ["frobnicate"])).code).toBe(2);
    expect((await cli(dir, ["store", "only-key"])).code).toBe(2);
    expect((await cli(dir, ["query", "x", "--mode", "psychic"])).code).toBe(2);
  });
});

describe("store, get, query, delete", () => {
  let dir: string;
  beforeAll(() => {
    dir = project();
  });

  it("stores JSON or text, reads it back, and exits 1 with one line for a missing key", async () => {
    const s = await cliJson<{ created: boolean; entry: { version: number } }>(dir, [
      "store",
      "auth/login",
      "CLI login uses OAuth2 device flow",
      "--tags",
      "auth,cli",
    ]);
    expect(s).toMatchObject({ created: true, entry: { version: 1 } });
    await cliJson(dir, ["store", "cfg", '{"retries": 3}', "--namespace", "agents", "--type", "procedural"]);
    const got = await cliJson<{ found: boolean; entry: { value: unknown; type: string } }>(dir, [
      "get",
      "cfg",
      "--namespace",
      "agents",
    ]);
    expect(got.entry).toMatchObject({ value: { retries: 3 }, type: "procedural" });
    const table = await cli(dir, ["get", "auth/login"]);
    expect(table.stdout).toMatch(/^value\s+CLI login uses OAuth2 device flow$/m);
    expect(table.stdout).toMatch(/^tags\s+auth, cli$/m);

    const missing = await cli(dir, ["get", "nope"]);
    expect(missing.code).toBe(1);
    expect(missing.stderr.trim().split("\n")).toEqual([
      "memory-bank: no entry 'nope' in namespace 'default'",
    ]);
    // A value the operation refuses is bad usage.
    const bad = await cli(dir, ["store", "k", "v", "--ttl", "soon"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/ttl 'soon' is invalid/);
    expect(bad.stderr.trim().split("\n")).toHaveLength(1);
  });

  it("queries with ranking and prints an aligned table", async () => {
    const q = await cliJson<{ results: Array<{ key: string }> }>(dir, ["query", "oauth devise flow"]);
    expect(q.results[0]?.key).toBe("auth/login");
    const t = await cli(dir, ["query", "oauth"]);
    const lines = t.stdout.trim().split("\n");
    expect(lines[0]).toMatch(/^namespace\s+key\s+score\s+value$/);
    expect(lines[1]).toMatch(/^-+\s+-+/);
    expect(lines[2]).toMatch(/^default\s+auth\/login\s+/);
  });

  it("deletes by key and by prefix, with a dry run first", async () => {
    await cliJson(dir, ["store", "task/1", "a"]);
    await cliJson(dir, ["store", "task/2", "b"]);
    const dry = await cliJson<{ deleted: number; dryRun: boolean }>(dir, [
      "delete",
      "--prefix",
      "task/",
      "--dry-run",
    ]);
    expect(dry).toMatchObject({ deleted: 2, dryRun: true });
    const real = await cliJson<{ deleted: number; keys: string[] }>(dir, ["delete", "--prefix", "task/"]);
    expect(real).toMatchObject({ deleted: 2, keys: ["task/1", "task/2"] });
    expect((await cli(dir, ["get", "task/1"])).code).toBe(1);
    const none = await cli(dir, ["delete"]);
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/say what to delete/);
  });
});

describe("batch-store and parallel-query", () => {
  let dir: string;
  beforeAll(() => {
    dir = project();
  });

  it("stores a JSON array file; stdout carries only the JSON when it is not a terminal", async () => {
    const entries = Array.from({ length: 250 }, (_, i) => ({
      key: `doc/${i}`,
      value: `document ${i} about ${i % 2 ? "kubernetes" : "postgres"}`,
      tags: [i % 2 ? "k8s" : "db"],
    }));
    writeFileSync(path.join(dir, "entries.json"), JSON.stringify(entries));
    const r = await cli(dir, ["batch-store", "entries.json", "--namespace", "docs", "--parallel", "--json"]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ stored: 250, failed: 0 });
  });

  it("reports bad JSON lines by position, stores the rest, and exits 1", async () => {
    writeFileSync(path.join(dir, "lines.jsonl"), '{"key":"l1","value":1}\n{broken\n{"key":"l3","value":3}\n');
    const r = await cli(dir, ["batch-store", "lines.jsonl", "--json"]);
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ stored: 2, failed: 1, errors: [{ index: 1 }] });
    expect(r.stderr).toMatch(/1 of 3 entries failed/);
  });

  it("refuses a file that is not valid JSON, and a missing file, with one line", async () => {
    writeFileSync(path.join(dir, "bad.json"), '[{"key": "a", "value": 1},');
    const bad = await cli(dir, ["batch-store", "bad.json"]);
    expect(bad.code).toBe(1);
    expect(bad.stderr.trim()).toMatch(/^memory-bank: 'bad.json' is not valid JSON/);
    expect(bad.stderr.trim().split("\n")).toHaveLength(1);
    const missing = await cli(dir, ["batch-store", "nope.json"]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/entries file 'nope.json' does not exist/);
  });

  it("runs searches from a file and from the command line, per namespace", async () => {
    writeFileSync(path.join(dir, "queries.txt"), "postgres\nkubernetes\n");
    const r = await cliJson<{
      results: Array<{ query: string; namespace?: string; results: Array<{ key: string }> }>;
    }>(dir, ["parallel-query", "queries.txt", "--namespaces", "docs,default"]);
    expect(r.results).toHaveLength(4);
    const pg = r.results.find((x) => x.query === "postgres" && x.namespace === "docs");
    expect(pg?.results.length).toBeGreaterThan(0);
    expect(r.results.find((x) => x.query === "postgres" && x.namespace === "default")?.results).toEqual([]);
    const one = await cliJson<{ results: Array<{ query: string }> }>(dir, ["parallel-query", "kubernetes"]);
    expect(one.results.map((x) => x.query)).toEqual(["kubernetes"]);
  });
});

describe("export, import, concurrent-export", () => {
  let dir: string;
  beforeAll(async () => {
    dir = project();
    writeFileSync(
      path.join(dir, "seed.json"),
      JSON.stringify({
        entries: [
          { key: "a1", value: "agent one", namespace: "agents" },
          { key: "a2", value: "agent two", namespace: "agents" },
          { key: "t1", value: "task one", namespace: "tasks", tags: ["open"] },
          { key: "d1", value: "default one" },
        ],
      }),
    );
    await cliJson(dir, ["batch-store", "seed.json"]);
  });

  it("exports gzipped jsonl (0600) and imports it back", async () => {
    const e = await cliJson<{ path: string; entries: number }>(dir, [
      "export",
      "out/all.jsonl",
      "--compress",
    ]);
    expect(e).toMatchObject({ path: "out/all.jsonl.gz", entries: 4 });
    expect(statSync(path.join(dir, "out/all.jsonl.gz")).mode & 0o777).toBe(0o600);
    const i = await cliJson<{ format: string; read: number; updated: number }>(dir, [
      "import",
      "out/all.jsonl.gz",
    ]);
    expect(i).toMatchObject({ format: "jsonl", read: 4, updated: 4 });
  });

  it("refuses export and import paths outside the project, including through a symlink", async () => {
    const outside = mkdtempSync(path.join(tmpdir(), "memory-bank-out-"));
    dirs.push(outside);
    symlinkSync(outside, path.join(dir, "link"));
    writeFileSync(path.join(outside, "elsewhere.json"), "[]");
    for (const args of [
      ["export", path.join(outside, "x.json")],
      ["export", "link/x.json"],
      ["import", `../${path.basename(outside)}/elsewhere.json`],
    ]) {
      const r = await cli(dir, args);
      expect(r.code, args.join(" ")).toBe(1);
      expect(r.stderr, args.join(" ")).toMatch(/outside the project directory/);
    }
    expect(readdirSync(outside)).toEqual(["elsewhere.json"]);
    // A file that is not there is told so, not "outside the project".
    const missing = await cli(dir, ["import", "/nonexistent.json"]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/path '\/nonexistent.json' does not exist/);
  });

  it("writes a named backup with a manifest of sha256s and restores it into an emptied store", async () => {
    const b = await cliJson<{
      dir: string;
      manifest: {
        total: number;
        files: Array<{ namespace: string; file: string; entries: number; sha256: string }>;
      };
    }>(dir, ["concurrent-export", "nightly", "--compress", "--parallel"]);
    expect(b.dir).toBe(path.join("memory", "backups", "nightly"));
    expect(b.manifest.total).toBe(4);
    expect(b.manifest.files.map((f) => [f.namespace, f.entries])).toEqual([
      ["agents", 2],
      ["default", 1],
      ["tasks", 1],
    ]);
    const folder = path.join(dir, b.dir);
    expect(readdirSync(folder).sort()).toEqual([
      "agents.jsonl.gz",
      "default.jsonl.gz",
      "manifest.json",
      "tasks.jsonl.gz",
    ]);
    expect(statSync(folder).mode & 0o777).toBe(0o700);

    const again = await cli(dir, ["concurrent-export", "nightly"]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/backup 'nightly' already exists/);
    expect((await cli(dir, ["concurrent-export", "../escape"])).code).toBe(1);

    for (const ns of ["agents", "tasks", "default"]) {
      await cliJson(dir, ["delete", "--prefix", ns[0] as string, "--namespace", ns]);
    }
    expect((await cliJson<{ entries: number }>(dir, ["stats"])).entries).toBe(0);
    const r = await cliJson<{ format: string; verified: number; stored: number }>(dir, ["import", b.dir]);
    expect(r).toMatchObject({ format: "backup", verified: 3, stored: 4 });
    const t1 = await cliJson<{ entry: { tags: string[] } }>(dir, ["get", "t1", "--namespace", "tasks"]);
    expect(t1.entry.tags).toEqual(["open"]);
  });

  it("refuses to restore a backup whose file does not match its sha256, importing nothing", async () => {
    await cliJson(dir, ["concurrent-export", "tampered"]);
    const folder = path.join(dir, "memory", "backups", "tampered");
    appendFileSync(path.join(folder, "agents.jsonl"), '{"key":"evil","value":1,"namespace":"agents"}\n');
    await cliJson(dir, ["delete", "d1"]);
    const r = await cli(dir, ["import", "memory/backups/tampered"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/does not match its sha256.*nothing was imported/);
    expect((await cli(dir, ["get", "d1"])).code).toBe(1);
    expect((await cli(dir, ["get", "evil", "--namespace", "agents"])).code).toBe(1);
  });
});

describe("batch-cleanup and retention", () => {
  it("applies a retention file, refuses unknown namespaces and bad durations, never touches permanent ones", async () => {
    const dir = project({ memory: { retentionPolicy: { tasks: "90d", agents: "permanent" } } });
    await cliJson(dir, ["store", "t", "task", "--namespace", "tasks"]);
    await cliJson(dir, ["store", "a", "agent", "--namespace", "agents"]);
    await cliJson(dir, ["store", "short", "x", "--namespace", "tasks", "--ttl", "1s"]);
    await new Promise((r) => setTimeout(r, 1100));

    const dry = await cliJson<{ removed: number }>(dir, ["batch-cleanup", "--dry-run"]);
    expect(dry.removed).toBe(1);
    const plain = await cliJson<{
      removed: number;
      namespaces: Array<{ namespace: string; keys: string[] }>;
    }>(dir, ["batch-cleanup"]);
    expect(plain.removed).toBe(1);
    expect(plain.namespaces.find((n) => n.namespace === "tasks")?.keys).toEqual(["short"]);

    writeFileSync(path.join(dir, "unknown.json"), JSON.stringify({ nosuch: "1d" }));
    const unknown = await cli(dir, ["batch-cleanup", "unknown.json"]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/unknown namespace 'nosuch'/);

    writeFileSync(path.join(dir, "bad.json"), JSON.stringify({ tasks: "soon" }));
    const bad = await cli(dir, ["batch-cleanup", "bad.json"]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/retention 'soon' is invalid/);
    expect((await cli(dir, ["batch-cleanup", "missing.json"])).stderr).toMatch(
      /retention file .* does not exist/,
    );

    // A stricter policy for this run: every task is older than 1 ms by now; agents stay permanent.
    writeFileSync(path.join(dir, "strict.json"), JSON.stringify({ retentionPolicy: { tasks: "1ms" } }));
    const strict = await cliJson<{ removed: number; skipped: Array<{ namespace: string }> }>(dir, [
      "batch-cleanup",
      "strict.json",
    ]);
    expect(strict.removed).toBe(1);
    expect(strict.skipped.map((s) => s.namespace)).toContain("agents");
    expect((await cli(dir, ["get", "t", "--namespace", "tasks"])).code).toBe(1);
    expect((await cli(dir, ["get", "a", "--namespace", "agents"])).code).toBe(0);
  });
});

describe("index-status and index-validate", () => {
  let dir: string;
  let data: string;
  let journal: string;
  beforeAll(async () => {
    dir = project();
    data = path.join(dir, "memory", "claude-flow-data.json");
    journal = path.join(dir, "memory", "claude-flow-data.journal");
    for (let i = 0; i < 3; i++) await cliJson(dir, ["store", `k${i}`, `value number ${i}`]);
  });

  it("reports terms, entries, generation and consistency", async () => {
    const s = await cliJson<{
      entries: number;
      indexed: number;
      terms: number;
      generation: number;
      consistent: boolean;
    }>(dir, ["index-status"]);
    expect(s).toMatchObject({ entries: 3, indexed: 3, consistent: true });
    expect(s.terms).toBeGreaterThan(3);
    expect(s.generation).toBeGreaterThanOrEqual(3);
    const v = await cliJson<{ ok: boolean; checks: Array<{ name: string; ok: boolean }> }>(dir, [
      "index-validate",
    ]);
    expect(v.ok).toBe(true);
    expect(v.checks.map((c) => c.name)).toEqual(["snapshot", "journal", "index"]);
  });

  it("finds a torn journal tail without touching it, and --repair cuts it keeping a copy", async () => {
    appendFileSync(journal, '{"gen":99,"seq":1,"op":"put","entry":{"key":"half');
    const size = statSync(journal).size;
    const v = await cli(dir, ["index-validate", "--json"]);
    expect(v.code).toBe(1);
    expect(JSON.parse(v.stdout).checks[1]).toMatchObject({ name: "journal", ok: false });
    expect(v.stderr).toMatch(/run 'memory-bank index-validate --repair'/);
    expect(statSync(journal).size).toBe(size);

    const r = await cliJson<{ ok: boolean; actions: string[] }>(dir, ["index-validate", "--repair"]);
    expect(r.ok).toBe(true);
    expect(r.actions.join("\n")).toMatch(/incomplete write/);
    const kept = readdirSync(path.join(dir, "memory", "backups")).filter((f) => f.includes("torn"));
    expect(kept).toHaveLength(1);
    expect((await cliJson<{ ok: boolean }>(dir, ["index-validate"])).ok).toBe(true);
  });

  it("finds a corrupt snapshot and --repair rebuilds it from backup + journal", async () => {
    const before = readFileSync(data, "utf8");
    writeFileSync(data, before.slice(0, before.length / 2));
    const v = await cli(dir, ["index-validate", "--json"]);
    expect(v.code).toBe(1);
    expect(JSON.parse(v.stdout).checks[0]).toMatchObject({ name: "snapshot", ok: false });
    expect(readFileSync(data, "utf8")).toBe(before.slice(0, before.length / 2));

    const r = await cliJson<{ ok: boolean; actions: string[] }>(dir, ["index-validate", "--repair"]);
    expect(r.ok).toBe(true);
    expect(r.actions.join("\n")).toMatch(/rebuilt from backup/);
    for (let i = 0; i < 3; i++) expect((await cli(dir, ["get", `k${i}`])).code).toBe(0);
    expect(existsSync(path.join(dir, "memory", "corrupt"))).toBe(true);
  });
});

describe("stats, analyze, debug, performance-report", () => {
  it("report real numbers from a fresh project", async () => {
    const dir = project();
    writeFileSync(
      path.join(dir, "e.json"),
      JSON.stringify([
        { key: "x1", value: "same text", tags: ["t"] },
        { key: "x2", value: "same text", tags: ["t", "u"] },
        { key: "big", value: "y".repeat(5000), namespace: "blobs" },
      ]),
    );
    await cliJson(dir, ["batch-store", "e.json"]);
    const stats = await cliJson<{
      entries: number;
      namespaces: Array<{ namespace: string; valueBytes?: number }>;
    }>(dir, ["stats", "--verbose"]);
    expect(stats.entries).toBe(3);
    expect(stats.namespaces.find((n) => n.namespace === "blobs")?.valueBytes).toBe(5002);
    const table = await cli(dir, ["stats", "--concurrent"]);
    expect(table.stdout).toMatch(/^blobs\s+1\s+0\s+none/m);

    const a = await cliJson<{
      largest: Array<{ key: string }>;
      duplicates: Array<{ count: number; keys: string[] }>;
      tags: Array<{ tag: string; count: number }>;
      growth: Array<{ created: number; total: number }>;
    }>(dir, ["analyze"]);
    expect(a.largest[0]?.key).toBe("big");
    expect(a.duplicates).toEqual([{ valueBytes: 11, count: 2, keys: ["default/x1", "default/x2"] }]);
    expect(a.tags[0]).toEqual({ tag: "t", count: 2 });
    expect(a.growth.at(-1)?.total).toBe(3);

    const d = await cliJson<{ projectDir: string; store: { entries: number; lockHeld: boolean } }>(dir, [
      "debug",
    ]);
    expect(d.projectDir).toBe(dir);
    expect(d.store).toMatchObject({ entries: 3, lockHeld: false });

    const p = await cliJson<{
      operations: Array<{ op: string; count: number; items: number; itemsPerSec?: number }>;
    }>(dir, ["performance-report"]);
    const batch = p.operations.find((o) => o.op === "cli:batch-store");
    expect(batch).toMatchObject({ count: 1, items: 3 });
    expect(batch?.itemsPerSec).toBeGreaterThan(0);
    expect(p.operations.find((o) => o.op === "cli:stats")?.count).toBe(2);
    for (const f of readdirSync(path.join(dir, "memory", "sessions"))) {
      expect(statSync(path.join(dir, "memory", "sessions", f)).mode & 0o777).toBe(0o600);
    }
  });
});
