/**
 * One bank server per store: sessions and CLI calls share it, exactly one runs however many
 * start at once, and every way it can be missing, old, stale or unable to start leaves the
 * sessions served. (A SIGKILL of it mid-write: test/reliability/bank-server.test.ts.)
 */
import { spawn } from "node:child_process";
import {
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { createConnection } from "node:net";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/config.js";
import { VERSION } from "../../src/config/version.js";
import { fingerprintOf } from "../../src/server/endpoint.js";
import { isProcessAlive } from "../../src/store/process-alive.js";
import { cli } from "../cli/run.js";
import { type Connected, initializeRequest, ok, ROOT, SHARED_ENV, tempProjects } from "../helpers.js";
import {
  logOf,
  serverLog,
  serverPid,
  session,
  sharedCli,
  socketOf,
  status,
  stopServers,
  waitFor,
} from "./harness.js";

const project = tempProjects();
const pids = new Set<number>();
const open: Connected[] = [];

afterEach(async () => {
  for (const s of open.splice(0)) await s.close().catch(() => {});
  await stopServers(pids);
  pids.clear();
});

async function started(dir: string): Promise<Connected> {
  const s = await session(dir);
  open.push(s);
  pids.add(serverPid(s));
  return s;
}

describe("sessions share one bank server", () => {
  it("six sessions starting at once get one server, and see each other's writes at once", async () => {
    const dir = project();
    const sessions = await Promise.all(Array.from({ length: 6 }, () => started(dir)));
    const servers = new Set(sessions.map(serverPid));
    expect(servers.size).toBe(1);
    expect(serverLog(dir).match(/listening on/g)).toHaveLength(1);
    // One session claimed the start and the others waited for its server: no second one was started.
    expect(serverLog(dir)).not.toMatch(/this one exits/);
    expect(existsSync(path.join(dir, "memory", "claude-flow-data.server.starting"))).toBe(false);
    await Promise.all(
      sessions.map((s, i) => ok(s.client, "memory_store", { key: `s${i}`, value: `from ${i}` })),
    );
    for (const s of sessions)
      for (let i = 0; i < 6; i++)
        expect(await ok(s.client, "memory_get", { key: `s${i}` })).toMatchObject({ found: true });
    const st = await status(dir);
    expect(st).toMatchObject({ running: true, version: VERSION, clients: { mcp: 6 } });
    expect(st.pid).toBe([...servers][0]);
    expect(st.rssBytes).toBeGreaterThan(0);
  });

  it("a claim to start left by a dead session, or made long ago, does not hold a start back", async () => {
    for (const [pid, agoMs] of [
      [2 ** 22 + 12_345, 0], // no such process
      [process.pid, 60_000], // alive, but its claim is a minute old
    ] as const) {
      const dir = project();
      mkdirSync(path.join(dir, "memory"), { recursive: true, mode: 0o700 });
      const claim = path.join(dir, "memory", "claude-flow-data.server.starting");
      writeFileSync(claim, String(pid), { mode: 0o600 });
      const then = new Date(Date.now() - agoMs);
      utimesSync(claim, then, then);
      // Waiting on the claim would end in the in-process fallback: started() wants a bank server.
      const s = await started(dir);
      expect(await ok(s.client, "memory_store", { key: "k", value: "v" })).toMatchObject({ created: true });
      expect(existsSync(claim)).toBe(false);
    }
  });

  it("lists each session in memory_stats under the server's pid, with its client", async () => {
    const dir = project();
    const s = await started(dir);
    await ok(s.client, "memory_store", { key: "k", value: "v" });
    await waitFor(async () => {
      const st = await ok<{ processes: Array<{ pid: number; client?: string }> }>(s.client, "memory_stats", {
        verbose: true,
      });
      return st.processes.some((p) => p.pid === serverPid(s) && p.client === "memory-bank-test 1.0.0");
    }, "the session's record names its client");
  });
});

describe("the CLI", () => {
  it("works in-process with no server running, and starts none", async () => {
    const dir = project();
    expect((await sharedCli(dir, ["store", "k", "v"])).code).toBe(0);
    const got = await sharedCli(dir, ["get", "k", "--json"]);
    expect(got.code, got.stderr).toBe(0);
    expect(JSON.parse(got.stdout)).toMatchObject({ found: true, entry: { value: "v" } });
    expect(existsSync(socketOf(dir))).toBe(false);
    expect(JSON.parse((await sharedCli(dir, ["status", "--json"])).stdout)).toMatchObject({ running: false });
  });

  it("runs its verbs on a running server: same output, same errors and exit codes", async () => {
    const dir = project();
    const s = await started(dir);
    expect((await sharedCli(dir, ["store", "k", "from the cli"])).code).toBe(0);
    expect(await ok(s.client, "memory_get", { key: "k" })).toMatchObject({
      entry: { value: "from the cli" },
    });
    await ok(s.client, "memory_store", { key: "j", value: "from the session" });
    const attached = await sharedCli(dir, ["get", "j"]);
    const alone = await cli(dir, ["get", "j"]); // MEMORY_BANK_SHARED=0: in-process
    expect(attached.code).toBe(0);
    expect(attached.stdout).toBe(alone.stdout);
    for (const [args, code] of [
      [["get", "missing"], 1],
      [["get", "k", "--namespace", "no such namespace"], 2],
      [["store", "", "v"], 2],
    ] as const) {
      const a = await sharedCli(dir, [...args]);
      const b = await cli(dir, [...args]);
      expect(a.code, args.join(" ")).toBe(code);
      expect({ code: a.code, stderr: a.stderr }).toEqual({ code: b.code, stderr: b.stderr });
    }
    // Every command line of these verbs is run by the server, a refused input included.
    expect((await status(dir)).served.calls).toBe(5);
  });

  it("gives every simple verb's command line the in-process run's stdout, stderr and exit code", async () => {
    const dir = project();
    const s = await started(dir);
    const pid = serverPid(s);
    await ok(s.client, "memory_store", { key: "seen", value: { a: 1 }, tags: ["x"] });
    const lines: string[][] = [
      ["get", "seen"],
      ["get", "seen", "--json"],
      ["--json", "get", "missing"],
      ["get", "missing"],
      ["get"],
      ["get", "seen", "--no-such-flag"],
      ["get", "seen", "--namespace", "Bad Name!"],
      ["get", "seen", "--json", "--namespace", "Bad Name!"],
      ["query", "seen"],
      ["query", "seen", "--json"],
      ["query", "seen", "--limit", "0"],
      ["list"],
      ["list", "--json"],
      ["store", "k2", "--json"],
      ["store", "k2", '{"n": 1}', "--ttl", "nonsense"],
      ["store", "k2", '{"n": 1}', "--if-version", "7", "--json"],
      ["delete", "nope"],
      ["delete", "nope", "--json"],
    ];
    for (const args of lines) {
      const before = (await status(dir)).served.calls;
      const lean = await sharedCli(dir, args);
      // The server counts the command line it ran (status is not counted).
      expect((await status(dir)).served.calls - before, `served: ${args.join(" ")}`).toBe(1);
      const alone = await cli(dir, args);
      expect(lean, args.join(" ")).toEqual(alone);
    }
    // A write and the delete of it, each through the server, each as in-process would print it.
    const stored = await sharedCli(dir, ["store", "fresh", "v1", "--tags", "a,b"]);
    expect(stored.code, stored.stderr).toBe(0);
    expect(stored.stdout).toMatch(/fresh/);
    expect(await ok(s.client, "memory_get", { key: "fresh" })).toMatchObject({ entry: { value: "v1" } });
    const deleted = await sharedCli(dir, ["delete", "fresh", "--json"]);
    expect(deleted.code, deleted.stderr).toBe(0);
    expect(JSON.parse(deleted.stdout)).toMatchObject({ deleted: 1, keys: ["fresh"] });
    expect((await sharedCli(dir, ["get", "fresh"])).code).toBe(1);
    // stats describes the process that answers (its cache, its session record): the server's.
    const stats = await sharedCli(dir, ["stats", "--json"]);
    expect(stats.code, stats.stderr).toBe(0);
    expect(JSON.parse(stats.stdout)).toMatchObject({ index: { documents: 1 } });
    // The same bank server served all of it.
    expect((await status(dir)).pid).toBe(pid);
  });

  it("takes the full path when the config file's text changed, and the server still serves", async () => {
    const dir = project();
    const s = await started(dir);
    const pid = serverPid(s);
    await ok(s.client, "memory_store", { key: "k", value: "v" });
    const file = path.join(dir, "claude-flow.config.json");
    const text = existsSync(file) ? readFileSync(file, "utf8") : "{}";
    // Other text, the same settings: the full path compares settings and still uses the server.
    writeFileSync(file, `${text}\n\n`);
    const before = (await status(dir)).served.calls;
    const got = await sharedCli(dir, ["get", "k", "--json"]);
    expect(got.code, got.stderr).toBe(0);
    expect(JSON.parse(got.stdout)).toMatchObject({ entry: { value: "v" } });
    expect((await status(dir)).served.calls - before).toBe(1);
    expect((await status(dir)).pid).toBe(pid);
  });
});

describe("lifecycle", () => {
  it("exits after its idle time, without compacting because a session ended", async () => {
    const dir = project({ memory: { server: { idleTimeoutMs: 1000 } } });
    const s = await started(dir);
    const pid = serverPid(s);
    for (let i = 0; i < 3; i++) await ok(s.client, "memory_store", { key: `k${i}`, value: "v" });
    await s.close();
    open.splice(open.indexOf(s), 1);
    await waitFor(() => !isProcessAlive(pid), "the idle server exited");
    expect(existsSync(socketOf(dir))).toBe(false);
    expect(serverLog(dir)).toMatch(/finishing: no connection for 1000 ms/);
    // Still in the journal: no compaction ran (it would have left a backup and emptied the journal).
    const backups = path.join(dir, "memory", "backups");
    expect(existsSync(backups) ? readdirSync(backups) : []).toEqual([]);
    expect(
      readFileSync(path.join(dir, "memory", "claude-flow-data.journal"), "utf8").split("\n"),
    ).toHaveLength(4);
    const next = await started(dir);
    expect(serverPid(next)).not.toBe(pid);
    expect(await ok(next.client, "memory_get", { key: "k2" })).toMatchObject({ found: true });
  });

  it("a server of another version is asked to finish, and a matching one serves the session", async () => {
    const dir = project();
    // The same code under another version number: a copy of dist/ beside a package.json saying 0.0.1-old.
    const old = project();
    cpSync(path.join(ROOT, "dist"), path.join(old, "dist"), { recursive: true });
    symlinkSync(path.join(ROOT, "node_modules"), path.join(old, "node_modules"));
    const pkg = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8"));
    writeFileSync(path.join(old, "package.json"), JSON.stringify({ ...pkg, version: "0.0.1-old" }));
    const oldServer = spawn(process.execPath, [path.join(old, "dist", "src", "cli.js"), "bank-server"], {
      cwd: dir,
      env: SHARED_ENV,
      stdio: "ignore",
    });
    pids.add(oldServer.pid as number);
    const exited = new Promise<void>((r) => oldServer.once("exit", () => r()));
    await waitFor(() => existsSync(socketOf(dir)), "the old server listens");
    await waitFor(
      async () => (await status(dir).catch(() => undefined))?.running === false,
      "the old one refuses the CLI",
    ).catch(() => {});
    const s = await started(dir);
    expect(serverPid(s)).not.toBe(oldServer.pid);
    await exited; // it had no session left: it finished at once
    expect((await status(dir)).version).toBe(VERSION);
    await ok(s.client, "memory_store", { key: "k", value: "v" });
  });

  it("removes a stale socket nobody answers on, and starts", async () => {
    const dir = project();
    mkdirSync(path.join(dir, "memory"), { mode: 0o700 });
    // A socket whose server is gone: bound by a child that was then SIGKILLed.
    const child = spawn(
      process.execPath,
      [
        "-e",
        `require("net").createServer().listen(${JSON.stringify(socketOf(dir))}, () => console.log("up"))`,
      ],
      { stdio: ["ignore", "pipe", "ignore"] },
    );
    await new Promise((r) => child.stdout.once("data", r));
    child.kill("SIGKILL");
    await new Promise((r) => child.once("exit", r));
    expect(existsSync(socketOf(dir))).toBe(true);
    const s = await started(dir);
    await ok(s.client, "memory_store", { key: "k", value: "v" });
    expect(serverLog(dir)).toMatch(/removing the stale socket/);
  });
});

describe("when there is no bank server to be had", () => {
  it("serves the session in-process, and says so on stderr", async () => {
    const dir = project();
    // Something that is not a socket where the socket goes: no server can bind there.
    mkdirSync(socketOf(dir), { recursive: true });
    const s = await session(dir);
    open.push(s);
    expect(s.stderr()).toMatch(/bank server unavailable \(.*\): serving this session in-process/);
    await ok(s.client, "memory_store", { key: "k", value: "v" });
    expect(await ok(s.client, "memory_get", { key: "k" })).toMatchObject({ found: true });
  });

  it("memory.server.shared: false serves every session in-process and starts no server", async () => {
    const dir = project({ memory: { server: { shared: false } } });
    const s = await session(dir);
    open.push(s);
    await ok(s.client, "memory_store", { key: "k", value: "v" });
    expect(s.stderr()).not.toMatch(/bank server/);
    expect(existsSync(socketOf(dir))).toBe(false);
    expect(existsSync(logOf(dir))).toBe(false);
  });
});

describe("a session whose input ends at once", () => {
  // stdin from /dev/null, or a pipe closed at once: the end of input reaches the server with the
  // hello, before the session is set up, and must still end the session.
  // `cli` gives "ignore" (stdin from /dev/null) no stdin option, and a pipe ended at once for "".
  const emptySession = (dir: string, stdin: "ignore" | "pipe") =>
    cli(dir, ["serve"], SHARED_ENV, stdin === "pipe" ? { stdin: "" } : {});

  it("ends, and its relay exits 0, when stdin is empty: with the server started by it, and running", async () => {
    const dir = project();
    const first = await emptySession(dir, "ignore");
    expect(first.code, first.stderr).toBe(0);
    expect(first.stderr).toMatch(/through its bank server \(pid \d+, .*started now\)/);
    pids.add(Number(/pid (\d+)/.exec(first.stderr)?.[1]));
    for (const stdin of ["ignore", "pipe", "ignore", "pipe"] as const) {
      const r = await emptySession(dir, stdin);
      expect(r.code, `stdin ${stdin}: ${r.stderr}`).toBe(0);
      expect(r.stdout).toBe("");
    }
    // The server holds no connection for the ended sessions.
    await waitFor(async () => (await status(dir)).clients.mcp === 0, "the ended sessions to close");
  });
});

describe("a client that does not read", () => {
  it("cannot make the server buffer without limit, and does not hold up other sessions", async () => {
    const dir = project();
    const s = await started(dir);
    const big = "x".repeat(900 * 1024);
    await ok(s.client, "memory_store", { key: "big", value: big });
    const before = (await status(dir)).rssBytes;
    // A raw connection that asks for a 900 KiB entry 400 times and never reads an answer.
    const raw = createConnection(socketOf(dir));
    await new Promise((r) => raw.once("connect", r));
    raw.pause();
    const line = (m: unknown) => `${JSON.stringify(m)}\n`;
    const fingerprint = fingerprintOf(loadConfig({ cwd: dir, env: {} }));
    raw.write(
      line({
        jsonrpc: "2.0",
        id: 0,
        method: "memory-bank/hello",
        params: { version: VERSION, fingerprint, role: "mcp" },
      }),
    );
    raw.write(line({ ...initializeRequest("stalled"), id: 1 }));
    raw.write(line({ jsonrpc: "2.0", method: "notifications/initialized" }));
    for (let i = 0; i < 400; i++)
      raw.write(
        line({
          jsonrpc: "2.0",
          id: 10 + i,
          method: "tools/call",
          params: { name: "memory_get", arguments: { key: "big" } },
        }),
      );
    await new Promise((r) => setTimeout(r, 3000));
    // Other sessions are answered meanwhile.
    expect(await ok(s.client, "memory_get", { key: "big" })).toMatchObject({ found: true });
    const after = await status(dir);
    // 400 answers of 900 KiB (twice each: text and structuredContent) would be ~700 MiB.
    expect(after.rssBytes - before).toBeLessThan(200 * 1024 * 1024);
    raw.destroy();
  });
});

describe("bad input on the socket", () => {
  it("answers garbage, a wrong first message and unknown calls with errors, and goes on serving", async () => {
    const dir = project();
    const s = await started(dir);
    const exchange = (lines: string[]) =>
      new Promise<string>((resolve) => {
        const raw = createConnection(socketOf(dir));
        let got = "";
        raw.on("data", (d: Buffer) => {
          got += d.toString("utf8");
        });
        raw.on("close", () => resolve(got));
        raw.on("error", () => {});
        raw.on("connect", () => {
          for (const l of lines) raw.write(`${l}\n`);
          setTimeout(() => raw.end(), 500);
        });
      });
    expect(await exchange(["{not json"])).toMatch(/"error"/);
    expect(await exchange([JSON.stringify(initializeRequest("no hello"))])).toMatch(
      /the first message must be memory-bank\/hello/,
    );
    expect(await exchange(["x".repeat(200_000)])).toBe(""); // an endless first line: dropped
    const fingerprint = fingerprintOf(loadConfig({ cwd: dir, env: {} }));
    const hello = JSON.stringify({
      jsonrpc: "2.0",
      id: 0,
      method: "memory-bank/hello",
      params: { version: VERSION, fingerprint, role: "cli" },
    });
    const answers = await exchange([
      hello,
      JSON.stringify({
        jsonrpc: "2.0",
        id: 1,
        method: "memory-bank/run",
        params: { operation: "nope", input: {} },
      }),
      JSON.stringify({
        jsonrpc: "2.0",
        id: 2,
        method: "memory-bank/run",
        params: { operation: "memory_get", input: { key: 5 } },
      }),
      JSON.stringify({ jsonrpc: "2.0", id: 3, method: "no/such/method" }),
      "][",
    ]);
    expect(answers).toMatch(/unknown operation/);
    expect(answers).toMatch(/"code":"INVALID_INPUT"/);
    expect(answers).toMatch(/unknown method no\/such\/method/);
    expect(answers).toMatch(/"code":-32700/);
    await ok(s.client, "memory_store", { key: "still", value: "serving" });
    expect((await status(dir)).pid).toBe(serverPid(s));
  });
});
