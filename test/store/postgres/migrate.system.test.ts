/**
 * Moving between backends with the real binary:
 * - `memory-bank migrate --from json --to postgres` moves a whole JSON store (thousands of
 *   entries, TTLs, tags, metadata, odd keys, several namespaces) into PostgreSQL and `--from
 *   postgres --to json` brings it back into another project; each run verifies counts and
 *   checksums itself, and `export` from all three stores gives byte-identical files;
 * - a migration into a store that is not empty is refused;
 * - the official memory server's knowledge graph (written by that server itself) and a
 *   claude-flow-data.json snapshot import straight into PostgreSQL.
 */
import { createHash } from "node:crypto";
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cli } from "../../cli/run.js";
import { ROOT, removeProject, tempProject } from "../../helpers.js";
import { postgresConfig, type TestDatabase, testDatabase } from "./cluster.js";

let db: TestDatabase;
const dirs: string[] = [];
const project = (config?: unknown) => {
  const d = tempProject(config);
  dirs.push(d);
  return d;
};

beforeAll(async () => {
  db = await testDatabase("migrate");
});
afterAll(async () => {
  for (const d of dirs) removeProject(d);
  await db?.close();
});

const sha = (file: string) => createHash("sha256").update(readFileSync(file)).digest("hex");

async function run(dir: string, args: string[], env: Record<string, string> = {}) {
  const r = await cli(dir, args, env);
  if (r.code !== 0) throw new Error(`memory-bank ${args.join(" ")} exited ${r.code}: ${r.stderr}`);
  return r;
}

/** Exports everything (expired entries too) and returns the file's sha256 and entry count. */
async function exported(dir: string, name: string, env: Record<string, string> = {}) {
  const file = path.join(dir, `${name}.jsonl`);
  const r = await run(dir, ["export", file, "--include-expired", "--json"], env);
  const out = JSON.parse(r.stdout) as { entries: number };
  return { entries: out.entries, sha256: sha(file) };
}

describe("JSON store -> PostgreSQL -> JSON store", () => {
  it("moves every entry both ways with matching counts and checksums", async () => {
    // A JSON store with some of everything.
    const jsonDir = project({ memory: { backend: "json" } });
    const entries = [
      ...Array.from({ length: 3000 }, (_, i) => ({
        key: `bulk/${i}`,
        value: { i, text: `fact number ${i}`, nested: { list: [i, i * 2] } },
        namespace: ["default", "agents", "tasks"][i % 3],
        tags: i % 7 === 0 ? ["seven", "multiple"] : [],
        metadata: i % 11 === 0 ? { source: "test", i } : undefined,
        type: i % 5 === 0 ? "procedural" : undefined,
      })),
      { key: "🧠/ключ/鍵", value: "unicode key" },
      { key: "\ud800", value: "lone surrogate key" },
      { key: "ttl/short", value: "expires soon", ttl: "1h" },
      { key: "quotes", value: 'a "quoted" \\ value\u2028' },
    ];
    const file = path.join(jsonDir, "seed.json");
    writeFileSync(
      file,
      JSON.stringify(
        entries.map((e) => Object.fromEntries(Object.entries(e).filter(([, v]) => v !== undefined))),
      ),
    );
    await run(jsonDir, ["batch-store", file]);
    await run(jsonDir, ["store", "versioned", "one"]);
    await run(jsonDir, ["store", "versioned", "two"]);
    const fromJson = await exported(jsonDir, "from-json");
    expect(fromJson.entries).toBe(entries.length + 1);

    // Into PostgreSQL: the verb checks the copy itself and says so.
    const env = db.env();
    const up = JSON.parse(
      (await run(jsonDir, ["migrate", "--from", "json", "--to", "postgres", "--json"], env)).stdout,
    ) as {
      entries: number;
      source: { entries: number; sha256: string };
      target: { entries: number; sha256: string };
    };
    expect(up.entries).toBe(fromJson.entries);
    expect(up.target).toEqual(up.source);

    // The same project switched to PostgreSQL exports the very same bytes.
    writeFileSync(path.join(jsonDir, "claude-flow.config.json"), JSON.stringify(postgresConfig()));
    const onPostgres = await exported(jsonDir, "from-postgres", env);
    expect(onPostgres).toEqual(fromJson);
    const got = JSON.parse((await run(jsonDir, ["get", "versioned", "--json"], env)).stdout) as {
      entry: { version: number };
    };
    expect(got.entry.version).toBe(2);

    // Migrating into a store that already has entries is refused, and changes nothing.
    const again = await cli(jsonDir, ["migrate", "--from", "json", "--to", "postgres"], env);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/already holds \d+ entries: migrate into an empty store/);

    // Back into a new project's JSON store.
    const backDir = project({ memory: { backend: "json" } });
    const down = JSON.parse(
      (await run(backDir, ["migrate", "--from", "postgres", "--to", "json", "--json"], env)).stdout,
    ) as {
      source: { entries: number; sha256: string };
      target: { entries: number; sha256: string };
    };
    expect(down.target).toEqual(down.source);
    expect(down.source.sha256).toBe(up.source.sha256);
    const back = await exported(backDir, "back-in-json");
    expect(back).toEqual(fromJson);
    console.log(
      `migrate json -> postgres: ${up.source.entries} -> ${up.target.entries} entries, sha256 ${up.source.sha256} -> ${up.target.sha256}; postgres -> json: ${down.source.entries} -> ${down.target.entries}, sha256 ${down.target.sha256}; exports ${fromJson.sha256.slice(0, 16)}… (json) = ${onPostgres.sha256.slice(0, 16)}… (postgres) = ${back.sha256.slice(0, 16)}… (back in json)`,
    );
  }, 180_000);
});

describe("a migrate call that cannot be done says why and changes nothing", () => {
  it("the same backend twice, an unknown backend, and no database configured", async () => {
    const dir = project({ memory: { backend: "json" } });
    await run(dir, ["store", "kept", "as it was"]);
    const before = await exported(dir, "before");

    // Refused input is bad usage (exit 2), as for every verb; a call that fails exits 1.
    const same = await cli(dir, ["migrate", "--from", "json", "--to", "json"]);
    expect(same.code).toBe(2);
    expect(same.stderr).toMatch(/to names the same backend as from: name two different ones/);

    const unknown = await cli(dir, ["migrate", "--from", "json", "--to", "sqlite"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/'sqlite' is invalid.*json, postgres/s);

    // No URL and no libpq variables in this process's environment.
    const nowhere = await cli(dir, ["migrate", "--from", "json", "--to", "postgres"]);
    expect(nowhere.code).toBe(1);
    expect(nowhere.stderr).toMatch(/no database is configured: set MEMORY_BANK_DATABASE_URL=/);

    expect(await exported(dir, "after")).toEqual(before);
  });
});

describe("other tools' files import straight into PostgreSQL", () => {
  it("the official memory server's knowledge graph, written by that server", async () => {
    const dir = project(postgresConfig({ postgres: { schema: "graph_import" } }));
    const graphFile = path.join(dir, "graph", "memory.jsonl");
    mkdirSync(path.dirname(graphFile), { recursive: true });
    const official = new Client({ name: "graph-writer", version: "1.0.0" });
    await official.connect(
      new StdioClientTransport({
        command: process.execPath,
        args: [path.join(ROOT, "node_modules", "@modelcontextprotocol", "server-memory", "dist", "index.js")],
        env: { PATH: process.env.PATH ?? "", MEMORY_FILE_PATH: graphFile },
        stderr: "pipe",
      }),
    );
    await official.callTool({
      name: "create_entities",
      arguments: {
        entities: [
          { name: "Alice", entityType: "person", observations: ["leads the payments team", "prefers Go"] },
          { name: "Payments", entityType: "service", observations: ["written in Go"] },
        ],
      },
    });
    await official.callTool({
      name: "create_relations",
      arguments: { relations: [{ from: "Alice", to: "Payments", relationType: "owns" }] },
    });
    await official.close();
    const r = await run(dir, ["import", graphFile, "--namespace", "graph", "--json"], db.env());
    expect(JSON.parse(r.stdout)).toMatchObject({ format: "mcp-memory", stored: 3, failed: 0 });
    const alice = JSON.parse(
      (await run(dir, ["get", "entity/Alice", "--namespace", "graph", "--json"], db.env())).stdout,
    );
    expect(alice.entry.value).toMatchObject({
      entityType: "person",
      observations: ["leads the payments team", "prefers Go"],
    });
    const rows = await db.sql<{ n: number }>(
      "SELECT count(*)::int AS n FROM graph_import.entries WHERE namespace = 'graph'",
    );
    expect(rows[0]?.n).toBe(3);
  });

  it("a claude-flow-data.json snapshot of another project", async () => {
    const other = project({ memory: { backend: "json" } });
    const file = path.join(other, "seed.json");
    writeFileSync(
      file,
      JSON.stringify(Array.from({ length: 30 }, (_, i) => ({ key: `k${i}`, value: `their fact ${i}` }))),
    );
    await run(other, ["batch-store", file, "--namespace", "theirs"]); // the CLI compacts at exit: a snapshot
    const dir = project(postgresConfig({ postgres: { schema: "snapshot_import" } }));
    mkdirSync(path.join(dir, "from"));
    copyFileSync(
      path.join(other, "memory", "claude-flow-data.json"),
      path.join(dir, "from", "claude-flow-data.json"),
    );
    const r = await run(dir, ["import", path.join(dir, "from", "claude-flow-data.json"), "--json"], db.env());
    expect(JSON.parse(r.stdout)).toMatchObject({ format: "snapshot", stored: 30 });
    const q = JSON.parse(
      (await run(dir, ["query", "their fact 7", "--namespace", "theirs", "--json"], db.env())).stdout,
    ) as {
      results: Array<{ key: string }>;
    };
    expect(q.results.map((x) => x.key)).toContain("k7");
  });
});
