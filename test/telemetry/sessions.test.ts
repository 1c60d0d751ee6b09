/**
 * Session records: what a process writes about itself (atomically, 0600), how readers tell live,
 * ended and stale processes apart, pruning by the `sessions` retention, and the percentile math
 * the performance report relies on.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { defaultConfig } from "../../src/config/config.js";
import { retentionOf } from "../../src/domain/retention.js";
import { performanceReport } from "../../src/telemetry/performance-report.js";
import {
  emptyOpStats,
  LATENCY_BUCKETS_MS,
  listSessions,
  MAX_FINISHED_SESSIONS,
  percentile,
  pruneSessions,
  type SessionRecord,
  SessionRecorder,
} from "../../src/telemetry/sessions.js";
import { removeProject, tempProject } from "../helpers.js";

/** The default retention rules of one project. */
const rules = () => retentionOf(defaultConfig(), "0badf00d");

const dirs: string[] = [];
function sessionsDir(): string {
  const d = tempProject();
  dirs.push(d);
  return path.join(d, "memory", "sessions");
}
afterEach(() => {
  for (const d of dirs.splice(0)) removeProject(d);
});

function deadPid(): number {
  const r = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"]);
  return Number(r.stdout.toString());
}

function record(over: Partial<SessionRecord>): SessionRecord {
  const now = new Date().toISOString();
  return {
    format: "memory-bank-session",
    version: 1,
    id: `server-${over.pid ?? 1}-x`,
    pid: 1,
    host: "elsewhere",
    kind: "server",
    startedAt: now,
    lastSeen: now,
    intervalMs: 5000,
    calls: 0,
    errors: 0,
    retries: 0,
    ops: {},
    inFlight: [],
    ...over,
  };
}

describe("SessionRecorder", () => {
  it("writes a 0600 record with counts, errors, items and what is in flight", async () => {
    const dir = sessionsDir();
    const rec = await SessionRecorder.start(dir, rules(), { kind: "server", intervalMs: 60_000 });
    rec.setClient("claude-code", "2.0.1");
    const slow = rec.begin("batch_store");
    rec.begin("memory_store").end();
    rec.begin("memory_store").end("VERSION_CONFLICT");
    await rec.flush();
    let onDisk = JSON.parse(readFileSync(rec.file, "utf8")) as SessionRecord;
    expect(onDisk.client).toEqual({ name: "claude-code", version: "2.0.1" });
    expect(onDisk.inFlight.map((f) => f.op)).toEqual(["batch_store"]);
    expect(onDisk.ops.memory_store).toMatchObject({ count: 2, errors: 1 });
    expect(onDisk.errors).toBe(1);
    expect(statSync(rec.file).mode & 0o777).toBe(0o600);

    slow.end(undefined, 500);
    slow.end(); // a second end is ignored
    await rec.close();
    onDisk = JSON.parse(readFileSync(rec.file, "utf8")) as SessionRecord;
    expect(onDisk.inFlight).toEqual([]);
    expect(onDisk.ops.batch_store).toMatchObject({ count: 1, items: 500 });
    expect(onDisk.calls).toBe(3);
    expect(onDisk.endedAt).toBeDefined();
    // Atomic writes leave no temp files behind.
    expect(readdirSync(dir)).toEqual([path.basename(rec.file)]);
    const { sessions } = await listSessions(dir);
    expect(sessions[0]?.status).toBe("ended");
  });

  it("tells live, ended and stale processes apart and skips unreadable files", async () => {
    const dir = sessionsDir();
    const live = await SessionRecorder.start(dir, rules(), { kind: "cli", command: "stats" });
    const dead = deadPid();
    const host = (await listSessions(dir)).sessions[0]?.record.host as string;
    writeFileSync(path.join(dir, "dead.json"), JSON.stringify(record({ pid: dead, host })));
    writeFileSync(
      path.join(dir, "remote-silent.json"),
      JSON.stringify(record({ pid: 2, lastSeen: "2020-01-01T00:00:00Z" })),
    );
    writeFileSync(path.join(dir, "garbage.json"), "{");
    const { sessions, unreadable } = await listSessions(dir);
    const status = Object.fromEntries(sessions.map((s) => [s.record.pid, s.status]));
    expect(status[process.pid]).toBe("alive");
    expect(status[dead]).toBe("stale");
    expect(status[2]).toBe("stale");
    expect(unreadable).toBe(1);
    await live.close();
  });

  it("prunes finished records past the sessions retention and keeps the rest", async () => {
    const dir = sessionsDir();
    const live = await SessionRecorder.start(dir, rules(), { kind: "server" });
    const old = new Date(Date.now() - 31 * 86_400_000).toISOString();
    const recent = new Date(Date.now() - 86_400_000).toISOString();
    writeFileSync(
      path.join(dir, "old.json"),
      JSON.stringify(record({ pid: 3, lastSeen: old, endedAt: old })),
    );
    writeFileSync(
      path.join(dir, "recent.json"),
      JSON.stringify(record({ pid: 4, lastSeen: recent, endedAt: recent })),
    );
    const permanent = retentionOf(
      { ...defaultConfig(), retentionPolicy: { sessions: "permanent" } },
      "0badf00d",
    );
    expect(await pruneSessions(dir, permanent)).toBe(0);
    expect(await pruneSessions(dir, rules())).toBe(1);
    expect(readdirSync(dir).sort()).toEqual([path.basename(live.file), "recent.json"].sort());
    await live.close();
  });

  it("keeps only the newest MAX_FINISHED_SESSIONS finished records, even within the retention", async () => {
    const dir = sessionsDir();
    mkdirSync(dir, { recursive: true });
    const extra = 5;
    for (let i = 0; i < MAX_FINISHED_SESSIONS + extra; i++) {
      const seen = new Date(Date.now() - (i + 1) * 60_000).toISOString();
      writeFileSync(
        path.join(dir, `s${i}.json`),
        JSON.stringify(record({ pid: 100_000 + i, lastSeen: seen, endedAt: seen })),
      );
    }
    expect(await pruneSessions(dir, rules())).toBe(extra);
    const left = readdirSync(dir);
    expect(left).toHaveLength(MAX_FINISHED_SESSIONS);
    expect(left).toContain("s0.json");
    expect(left).not.toContain(`s${MAX_FINISHED_SESSIONS}.json`);
  });
});

describe("percentiles and the report", () => {
  it("estimates p50 and p95 from the histogram within one bucket of the truth", () => {
    const s = emptyOpStats();
    for (let ms = 1; ms <= 100; ms++) {
      const i = LATENCY_BUCKETS_MS.findIndex((b) => ms <= b);
      s.histogram[i] = (s.histogram[i] ?? 0) + 1;
      s.count++;
      s.totalMs += ms;
      s.maxMs = ms;
    }
    expect(percentile(s, 0.5)).toBeGreaterThanOrEqual(30);
    expect(percentile(s, 0.5)).toBeLessThanOrEqual(75);
    expect(percentile(s, 0.95)).toBeGreaterThanOrEqual(75);
    expect(percentile(s, 0.95)).toBeLessThanOrEqual(100);
    expect(percentile(emptyOpStats(), 0.5)).toBe(0);
  });

  it("merges operations across sessions and computes batch throughput", () => {
    const a = emptyOpStats();
    a.count = 2;
    a.totalMs = 20;
    a.maxMs = 12;
    a.histogram[LATENCY_BUCKETS_MS.indexOf(10)] = 1;
    a.histogram[LATENCY_BUCKETS_MS.indexOf(15)] = 1;
    a.items = 1000;
    a.itemsMs = 20;
    const b = { ...emptyOpStats(), count: 1, totalMs: 5, maxMs: 5, items: 0 };
    b.histogram[LATENCY_BUCKETS_MS.indexOf(5)] = 1;
    const report = performanceReport([
      {
        record: record({ pid: 10, calls: 2, retries: 3, ops: { batch_store: a } }),
        status: "ended",
        file: "x",
      },
      { record: record({ pid: 11, calls: 1, ops: { batch_store: b } }), status: "alive", file: "y" },
    ]);
    expect(report).toMatchObject({ sessions: 2, alive: 1, calls: 3, retries: 3 });
    expect(report.operations[0]).toMatchObject({
      op: "batch_store",
      count: 3,
      maxMs: 12,
      itemsPerSec: 50_000,
    });
    expect(report.operations[0]?.meanMs).toBeCloseTo(25 / 3, 3);
  });
});
