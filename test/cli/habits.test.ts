/**
 * What a person at a shell expects of the CLI: it finds the project from any folder inside it
 * and creates nothing when it only reads; exit codes say what went wrong (0 ok, 1 failed, 2 bad
 * usage) and --json errors are JSON; `list`, the query filters and whole values; one meaning of
 * --namespace; values from stdin; the seed's --parallel on every verb; messages in flag terms.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it, vi } from "vitest";
import { loadConfig } from "../../src/config/config.js";
import { MemoryBank } from "../../src/service/bank.js";
import { connect, ok, tempProjects } from "../helpers.js";
import { cli, cliJson } from "./run.js";

vi.setConfig({ testTimeout: 90_000 });

const project = tempProjects();

/** Every path under `dir`, relative, sorted. */
function tree(dir: string): string[] {
  return (readdirSync(dir, { recursive: true }) as string[]).map(String).sort();
}

describe("the project, from anywhere inside it", () => {
  it("a read-only verb in a subdirectory of a fresh project creates nothing", async () => {
    const dir = project();
    mkdirSync(path.join(dir, ".git"));
    mkdirSync(path.join(dir, "src", "lib"), { recursive: true });
    const before = tree(dir);
    for (const args of [["get", "nope"], ["query", "stripe"], ["list"], ["stats"], ["analyze"], ["debug"]]) {
      const r = await cli(path.join(dir, "src", "lib"), args);
      expect(r.code, `${args.join(" ")}: ${r.stderr}`).toBe(args[0] === "get" ? 1 : 0);
    }
    expect(tree(dir)).toEqual(before);
  });

  it("a read-only verb leaves an existing store's files as they are: it does not compact at its close", async () => {
    const dir = project();
    const bank = await MemoryBank.open(loadConfig({ cwd: dir, env: {} }), { log: () => {} });
    await bank.storeEntry({ key: "a", value: "one" });
    await bank.compact("test");
    await bank.storeEntry({ key: "b", value: "two" });
    bank.maintenance?.keepAsIsAtClose();
    await bank.close();
    const journal = path.join(dir, "memory", "claude-flow-data.journal");
    const files = () =>
      ["claude-flow-data.json", "claude-flow-data.journal"].map((f) =>
        readFileSync(path.join(dir, "memory", f)).toString("base64"),
      );
    const before = files();
    expect(readFileSync(journal).length).toBeGreaterThan(0);
    for (const args of [["get", "b"], ["query", "two"], ["list"], ["stats"]]) {
      const r = await cli(dir, args);
      expect(r.code, `${args.join(" ")}: ${r.stderr}`).toBe(0);
    }
    expect(files()).toEqual(before);
    // A verb that writes still folds the journal into the snapshot at its close.
    expect((await cli(dir, ["store", "c", "three"])).code).toBe(0);
    expect(readFileSync(journal).length).toBe(0);
  });

  it("store and query from a subdirectory use the store at the project's root, and --verbose says so", async () => {
    const dir = project();
    mkdirSync(path.join(dir, ".git"));
    const deep = path.join(dir, "src", "lib");
    mkdirSync(deep, { recursive: true });
    const stored = await cli(deep, ["store", "payments/stripe", "Stripe keys rotate monthly", "--verbose"]);
    expect(stored.code).toBe(0);
    expect(stored.stderr).toContain(
      `store ${path.join(dir, "memory", "claude-flow-data.json")} (project ${dir}, found by repository root)`,
    );
    expect(readdirSync(deep)).toEqual([]);
    const q = await cliJson<{ results: Array<{ key: string }> }>(path.join(dir, "src"), ["query", "stripe"]);
    expect(q.results.map((r) => r.key)).toEqual(["payments/stripe"]);
    // Once the store exists it marks the root by itself, repository or not.
    const debug = await cliJson<{ projectDir: string }>(deep, ["debug"]);
    expect(debug.projectDir).toBe(dir);
    // serve, started in the subdirectory, serves the same store.
    const s = await connect(deep);
    try {
      const got = await ok<{ found: boolean }>(s.client, "memory_get", { key: "payments/stripe" });
      expect(got.found).toBe(true);
    } finally {
      await s.close();
    }
    expect(readdirSync(deep)).toEqual([]);
  });
});

describe("exit codes and --json errors", () => {
  it("0 ok, 1 the operation failed, 2 bad usage; under --json the error is JSON on stdout", async () => {
    const dir = project();
    const usage = await cli(dir, ["store", "k", "v", "--ttl", "soon", "--json"]);
    expect(usage.code).toBe(2);
    expect(JSON.parse(usage.stdout)).toEqual({
      error: { code: "INVALID_INPUT", message: expect.stringMatching(/^ttl 'soon' is invalid/) },
    });
    const limit = await cli(dir, ["query", "x", "--limit", "0"]);
    expect(limit.code).toBe(2);
    expect(limit.stderr).toMatch(/limit must be at least 1/);
    const unknown = await cli(dir, ["frobnicate", "--json"]);
    expect(unknown.code).toBe(2);
    expect(JSON.parse(unknown.stdout).error.code).toBe("USAGE");
    const failed = await cli(dir, ["import", "/nonexistent.json", "--json"]);
    expect(failed.code).toBe(1);
    expect(JSON.parse(failed.stdout).error).toEqual({
      code: "NOT_FOUND",
      message: expect.stringMatching(/'\/nonexistent.json' does not exist/),
    });
    expect(failed.stderr.trim().split("\n")).toHaveLength(1);
    expect((await cli(dir, ["store", "k", "v"])).code).toBe(0);
  });

  it("--ttl takes a number of seconds as the help says", async () => {
    const dir = project();
    const r = await cliJson<{ entry: { createdAt: string; expiresAt: string } }>(dir, [
      "store",
      "k",
      "v",
      "--ttl",
      "90",
    ]);
    expect(Date.parse(r.entry.expiresAt) - Date.parse(r.entry.createdAt)).toBe(90_000);
  });

  it("messages about a field speak of the flag that sets it", async () => {
    const dir = project();
    const r = await cli(dir, ["delete"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/--prefix/);
    expect(r.stderr).not.toMatch(/keyPrefix/);
  });

  it("parallel-query refuses a file that is not there instead of searching for its name", async () => {
    const dir = project();
    const missing = await cli(dir, ["parallel-query", "/nonexistent-file"]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/file '\/nonexistent-file' does not exist/);
    // Words, even with a slash, are still a search.
    expect((await cli(dir, ["parallel-query", "auth/login flow"])).code).toBe(0);
  });
});

describe("list, query filters and whole values", () => {
  it("lists newest first with the tool's filters, pages with --cursor, and --full shows values whole", async () => {
    const dir = project();
    const long = `start ${"x".repeat(200)} end`;
    await cliJson(dir, ["store", "task/1", "first", "--namespace", "tasks", "--tags", "a"]);
    await cliJson(dir, [
      "store",
      "task/2",
      long,
      "--namespace",
      "tasks",
      "--tags",
      "a,b",
      "--type",
      "episodic",
    ]);
    await cliJson(dir, ["store", "note/1", "other", "--namespace", "tasks"]);
    const all = await cli(dir, ["list", "--namespace", "tasks"]);
    expect(all.code).toBe(0);
    const lines = all.stdout.trim().split("\n");
    expect(lines[0]).toMatch(/^namespace\s+key\s+updated\s+value$/);
    expect(lines.slice(2).map((l) => l.split(/\s+/)[1])).toEqual(["note/1", "task/2", "task/1"]);
    expect(all.stdout).not.toContain("end");
    expect((await cli(dir, ["list", "--prefix", "task/", "--full"])).stdout).toContain(" end");

    const filtered = await cliJson<{ results: Array<{ key: string }> }>(dir, [
      "list",
      "--tags",
      "b",
      "--type",
      "episodic",
      "--since",
      "2000-01-01T00:00:00Z",
    ]);
    expect(filtered.results.map((r) => r.key)).toEqual(["task/2"]);

    const page = await cli(dir, ["list", "--prefix", "task/", "--limit", "1"]);
    const cursor = /more: --cursor (\S+)/.exec(page.stdout)?.[1];
    expect(cursor, page.stdout).toBeDefined();
    const next = await cliJson<{ results: Array<{ key: string }> }>(dir, [
      "list",
      "--prefix",
      "task/",
      "--limit",
      "1",
      "--cursor",
      cursor ?? "",
    ]);
    const first = /^tasks\s+(\S+)/m.exec(page.stdout)?.[1];
    expect([first, ...next.results.map((r) => r.key)].sort()).toEqual(["task/1", "task/2"]);

    // A search ranks (a score column); an empty one is a listing (when, not a timestamp as a score).
    expect((await cli(dir, ["query", "first"])).stdout).toMatch(/^namespace\s+key\s+score\s+value$/m);
    expect((await cli(dir, ["query", ""])).stdout).toMatch(/^namespace\s+key\s+updated\s+value$/m);
    const q = await cliJson<{ results: Array<{ key: string }> }>(dir, ["query", "", "--prefix", "note/"]);
    expect(q.results.map((r) => r.key)).toEqual(["note/1"]);
  });

  it("analyze --top N prints at most N rows per ranked section", async () => {
    const dir = project();
    const entries = Array.from({ length: 8 }, (_, i) => ({
      key: `k${i}`,
      value: "same",
      tags: [`t${i}`, `u${i}`, "common"],
    }));
    writeFileSync(path.join(dir, "e.json"), JSON.stringify(entries));
    await cliJson(dir, ["batch-store", "e.json"]);
    const r = await cliJson<{ tags: unknown[]; largest: unknown[] }>(dir, ["analyze", "--top", "3"]);
    expect(r.tags).toHaveLength(3);
    expect(r.largest).toHaveLength(3);
  });
});

describe("one meaning of --namespace, stdin, and the seed's flags", () => {
  it("--namespace on batch-store and import is the namespace of entries that name none; import --into forces one", async () => {
    const dir = project();
    writeFileSync(
      path.join(dir, "e.json"),
      JSON.stringify([
        { key: "plain", value: 1 },
        { key: "own", value: 2, namespace: "agents" },
      ]),
    );
    const where = async () =>
      (await cliJson<{ results: Array<{ key: string; namespace: string }> }>(dir, ["list"])).results
        .map((r) => `${r.namespace}/${r.key}`)
        .sort();
    await cliJson(dir, ["batch-store", "e.json", "--namespace", "tasks"]);
    expect(await where()).toEqual(["agents/own", "tasks/plain"]);
    const fresh = project();
    writeFileSync(
      path.join(fresh, "e.json"),
      JSON.stringify([
        { key: "plain", value: 1 },
        { key: "own", value: 2, namespace: "agents" },
      ]),
    );
    await cliJson(fresh, ["import", "e.json", "--namespace", "tasks"]);
    await cliJson(fresh, ["import", "e.json", "--into", "sparc"]);
    const listed = (
      await cliJson<{ results: Array<{ key: string; namespace: string }> }>(fresh, ["list"])
    ).results
      .map((r) => `${r.namespace}/${r.key}`)
      .sort();
    expect(listed).toEqual(["agents/own", "sparc/own", "sparc/plain", "tasks/plain"]);
    const help = await cli(dir, ["--help"]);
    expect(help.stdout).toMatch(/--namespace NS names the namespace/);
  });

  it("store KEY - reads the value from stdin", async () => {
    const dir = project();
    const text = "line one\nline two\n";
    expect((await cli(dir, ["store", "notes", "-"], {}, { stdin: text })).code).toBe(0);
    expect((await cliJson<{ entry: { value: unknown } }>(dir, ["get", "notes"])).entry.value).toBe(
      "line one\nline two",
    );
    await cli(dir, ["store", "cfg", "-"], {}, { stdin: '{"retries": 3}' });
    expect((await cliJson<{ entry: { value: unknown } }>(dir, ["get", "cfg"])).entry.value).toEqual({
      retries: 3,
    });
  });

  it("every verb accepts the seed's --parallel, index-validate --parallel --repair included", async () => {
    const dir = project();
    writeFileSync(path.join(dir, "e.json"), JSON.stringify([{ key: "a", value: 1 }]));
    for (const args of [
      ["batch-store", "e.json", "--parallel"],
      ["index-validate", "--parallel", "--repair"],
      ["index-status", "--parallel"],
      ["concurrent-export", "nightly", "--parallel"],
      ["batch-cleanup", "--parallel", "--dry-run"],
      ["import", "e.json", "--parallel"],
      ["query", "a", "--parallel"],
    ]) {
      const r = await cli(dir, args);
      expect(r.code, `${args.join(" ")}: ${r.stderr}`).toBe(0);
    }
  });
});
