/**
 * One small JSON record per running server or CLI process under memory/sessions/: who it is (pid,
 * MCP client), how long it has run, what it has done (per-operation counts, errors, a latency
 * histogram, items processed) and what it is doing right now (operations in flight). Records are
 * rewritten atomically every few seconds and at exit, so `debug --concurrent`, `stats` and
 * `performance-report` in another process can read them without any locking. A record whose
 * process is gone without writing `endedAt` is reported as stale.
 */
import { randomBytes } from "node:crypto";
import { readdir, readFile, rm, stat } from "node:fs/promises";
import { hostname } from "node:os";
import path from "node:path";
import { z } from "zod";
import { IsoDate } from "../domain/entry.js";
import { errorMessage } from "../domain/errors.js";
import { governingPolicy, policyMs, type Retention, stampOf } from "../domain/retention.js";
import { ensureDir, writeFileAtomic } from "../store/files.js";
import { isProcessAlive } from "../store/process-alive.js";
import { batchCounters } from "./counters.js";

/** Upper bounds (ms) of the latency histogram buckets; one more bucket counts everything slower. */
export const LATENCY_BUCKETS_MS = [
  0.25, 0.5, 1, 2, 3, 5, 7.5, 10, 15, 20, 30, 50, 75, 100, 150, 200, 300, 500, 750, 1000, 1500, 2000, 3000,
  5000, 10_000, 30_000, 60_000,
] as const;

/** What stats and debug say about a process using the store, from its session record. */
export const ProcessInfoSchema = z.object({
  id: z.string(),
  pid: z.number().int(),
  kind: z.enum(["server", "cli"]),
  command: z.string().optional().describe("the CLI verb, for cli processes"),
  client: z.string().optional().describe("MCP client name and version from initialize"),
  startedAt: IsoDate,
  lastSeen: IsoDate,
  status: z.enum(["alive", "ended", "stale"]).describe("stale: the process is gone without a clean exit"),
  calls: z.number().int(),
  errors: z.number().int(),
  inFlight: z.array(z.object({ op: z.string(), startedAt: IsoDate })),
});
export type ProcessInfo = z.infer<typeof ProcessInfoSchema>;

export const OpStatsSchema = z.object({
  count: z.number().int().min(0),
  errors: z.number().int().min(0),
  totalMs: z.number().min(0),
  maxMs: z.number().min(0),
  /** Items processed by calls that report them (batches), and the time those calls took. */
  items: z.number().int().min(0),
  itemsMs: z.number().min(0),
  histogram: z.array(z.number().int().min(0)).length(LATENCY_BUCKETS_MS.length + 1),
});
export type OpStats = z.infer<typeof OpStatsSchema>;

export const SessionRecordSchema = z.object({
  format: z.literal("memory-bank-session"),
  version: z.literal(1),
  id: z.string(),
  pid: z.number().int(),
  host: z.string(),
  kind: z.enum(["server", "cli"]),
  command: z.string().optional(),
  client: z.object({ name: z.string(), version: z.string() }).optional(),
  startedAt: z.string(),
  lastSeen: z.string(),
  endedAt: z.string().optional(),
  intervalMs: z.number().int().min(1),
  calls: z.number().int().min(0),
  errors: z.number().int().min(0),
  retries: z.number().int().min(0),
  ops: z.record(z.string(), OpStatsSchema),
  inFlight: z.array(z.object({ op: z.string(), startedAt: z.string() })),
  /** The writer's `sessions` retention and project, as on entries (retention.ts): whose policy prunes it. */
  retention: z.string().optional(),
});
export type SessionRecord = z.infer<typeof SessionRecordSchema>;

export type SessionStatus = ProcessInfo["status"];

export interface RecorderOptions {
  kind: "server" | "cli";
  command?: string;
  /** How often the record is rewritten; MEMORY_BANK_SESSION_INTERVAL_MS overrides (tests). */
  intervalMs?: number;
  /** The store's clock (Backend.now()), which every process sharing the directory agrees on. */
  now?: () => number;
  log?: (message: string) => void;
}

const DEFAULT_INTERVAL_MS = 5000;
/** Used when the `sessions` namespace has no retention policy. */
const DEFAULT_KEEP_MS = 30 * 86_400_000;

export class SessionRecorder {
  readonly file: string;
  private readonly record: SessionRecord;
  private readonly inFlight = new Map<number, { op: string; startedAt: string }>();
  private nextOp = 0;
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();
  private readonly retriesAtStart = batchCounters.retries;
  private closed = false;
  private readonly log: (message: string) => void;
  private readonly now: () => number;

  private constructor(
    readonly dir: string,
    rules: Retention,
    options: RecorderOptions,
  ) {
    this.now = options.now ?? Date.now;
    const now = this.stamp();
    const envInterval = Number(process.env.MEMORY_BANK_SESSION_INTERVAL_MS);
    const intervalMs =
      Number.isInteger(envInterval) && envInterval > 0
        ? envInterval
        : (options.intervalMs ?? DEFAULT_INTERVAL_MS);
    const id = `${options.kind}-${process.pid}-${Date.now().toString(36)}-${randomBytes(3).toString("hex")}`;
    this.file = path.join(dir, `${id}.json`);
    this.log = options.log ?? (() => {});
    this.record = {
      format: "memory-bank-session",
      version: 1,
      id,
      pid: process.pid,
      host: hostname(),
      kind: options.kind,
      ...(options.command ? { command: options.command } : {}),
      startedAt: now,
      lastSeen: now,
      intervalMs,
      calls: 0,
      errors: 0,
      retries: 0,
      ops: {},
      inFlight: [],
      retention: stampOf("sessions", rules),
    };
  }

  /** Times in records are the store's, so others judge their age right (see store/clock.ts). */
  private stamp(): string {
    return new Date(this.now()).toISOString();
  }

  /** Creates the record, writes it once, prunes expired records of other processes, starts the timer. */
  static async start(dir: string, rules: Retention, options: RecorderOptions): Promise<SessionRecorder> {
    const recorder = new SessionRecorder(dir, rules, options);
    await ensureDir(dir);
    await recorder.flush();
    // Deleting by the earlier of both clocks: one running ahead cannot prune others' records early.
    const storeNow = recorder.now();
    await pruneSessions(dir, rules, Math.min(storeNow, Date.now()), storeNow).catch((e) =>
      recorder.log(`pruning session records failed: ${e.message}`),
    );
    recorder.timer = setInterval(() => void recorder.flush(), recorder.record.intervalMs);
    // Metrics must never keep a finished process alive.
    recorder.timer.unref();
    return recorder;
  }

  get id(): string {
    return this.record.id;
  }

  setClient(name: string, version: string): void {
    this.record.client = { name: name.slice(0, 200), version: version.slice(0, 100) };
    void this.flush();
  }

  /** Marks an operation in flight; `end` records its latency, outcome and items processed. */
  begin(op: string): { end(error?: string, items?: number): void } {
    const id = this.nextOp++;
    const started = performance.now();
    this.inFlight.set(id, { op, startedAt: this.stamp() });
    let ended = false;
    return {
      end: (error?: string, items?: number) => {
        if (ended) return;
        ended = true;
        this.inFlight.delete(id);
        this.observe(op, performance.now() - started, error, items);
      },
    };
  }

  /** Records a finished operation. */
  observe(op: string, ms: number, error?: string, items?: number): void {
    const stats = this.record.ops[op] ?? emptyOpStats();
    this.record.ops[op] = stats;
    stats.count++;
    stats.totalMs += ms;
    stats.maxMs = Math.max(stats.maxMs, ms);
    const bucket = bucketOf(ms);
    stats.histogram[bucket] = (stats.histogram[bucket] ?? 0) + 1;
    if (items !== undefined && items > 0) {
      stats.items += items;
      stats.itemsMs += ms;
    }
    this.record.calls++;
    if (error) {
      stats.errors++;
      this.record.errors++;
    }
  }

  /** Writes the record now (atomically); concurrent calls are serialized. */
  flush(): Promise<void> {
    this.writing = this.writing.then(async () => {
      this.record.lastSeen = this.stamp();
      this.record.retries = batchCounters.retries - this.retriesAtStart;
      this.record.inFlight = [...this.inFlight.values()];
      try {
        await writeFileAtomic(this.file, [JSON.stringify(this.record)], { fsync: false });
      } catch (error) {
        this.log(`writing the session record failed: ${errorMessage(error)}`);
      }
    });
    return this.writing;
  }

  snapshot(): SessionRecord {
    return structuredClone({ ...this.record, inFlight: [...this.inFlight.values()] });
  }

  /** Final write with `endedAt`: the record then says this process exited cleanly. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    this.record.endedAt = this.stamp();
    await this.flush();
  }
}

export function emptyOpStats(): OpStats {
  return {
    count: 0,
    errors: 0,
    totalMs: 0,
    maxMs: 0,
    items: 0,
    itemsMs: 0,
    histogram: new Array(LATENCY_BUCKETS_MS.length + 1).fill(0),
  };
}

function bucketOf(ms: number): number {
  for (let i = 0; i < LATENCY_BUCKETS_MS.length; i++) if (ms <= (LATENCY_BUCKETS_MS[i] as number)) return i;
  return LATENCY_BUCKETS_MS.length;
}

/**
 * Estimates the q-quantile (0..1) of a histogram by linear interpolation inside its bucket; the
 * open last bucket is bounded by the largest latency seen.
 */
export function percentile(stats: Pick<OpStats, "histogram" | "count" | "maxMs">, q: number): number {
  if (stats.count === 0) return 0;
  const target = Math.max(1, Math.ceil(q * stats.count));
  let seen = 0;
  for (let i = 0; i < stats.histogram.length; i++) {
    const n = stats.histogram[i] ?? 0;
    if (seen + n >= target) {
      const lower = i === 0 ? 0 : (LATENCY_BUCKETS_MS[i - 1] as number);
      const upper = Math.min(LATENCY_BUCKETS_MS[i] ?? stats.maxMs, stats.maxMs);
      const within = (target - seen) / n;
      return Math.min(stats.maxMs, lower + (Math.max(upper, lower) - lower) * within);
    }
    seen += n;
  }
  return stats.maxMs;
}

export function mergeOpStats(a: OpStats, b: OpStats): OpStats {
  return {
    count: a.count + b.count,
    errors: a.errors + b.errors,
    totalMs: a.totalMs + b.totalMs,
    maxMs: Math.max(a.maxMs, b.maxMs),
    items: a.items + b.items,
    itemsMs: a.itemsMs + b.itemsMs,
    histogram: a.histogram.map((n, i) => n + (b.histogram[i] ?? 0)),
  };
}

export interface ListedSession {
  record: SessionRecord;
  status: SessionStatus;
  file: string;
}

/**
 * Reads every session record; unreadable files (a foreign or damaged file) are counted, not fatal.
 * `now` (the store's time) judges the heartbeats of processes on other machines.
 */
export async function listSessions(
  dir: string,
  now = Date.now(),
): Promise<{ sessions: ListedSession[]; unreadable: number }> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return { sessions: [], unreadable: 0 };
  }
  const sessions: ListedSession[] = [];
  let unreadable = 0;
  const host = hostname();
  for (const name of names) {
    if (!name.endsWith(".json") || name.startsWith(".")) continue;
    const file = path.join(dir, name);
    let record: SessionRecord;
    try {
      record = SessionRecordSchema.parse(JSON.parse(await readFile(file, "utf8")));
    } catch {
      unreadable++;
      continue;
    }
    sessions.push({ record, status: statusOf(record, host, now), file });
  }
  sessions.sort((a, b) => (a.record.startedAt < b.record.startedAt ? -1 : 1));
  return { sessions, unreadable };
}

function statusOf(record: SessionRecord, host: string, now: number): SessionStatus {
  if (record.endedAt) return "ended";
  if (record.host === host) return isProcessAlive(record.pid) ? "alive" : "stale";
  // Another machine sharing the directory: its pid means nothing here, so trust the heartbeat.
  const silentFor = now - Date.parse(record.lastSeen);
  return silentFor <= record.intervalMs * 3 ? "alive" : "stale";
}

/**
 * Most records of finished processes kept, whatever the retention: a script running the CLI every
 * minute would otherwise leave tens of thousands of files that every stats/debug call reads.
 */
export const MAX_FINISHED_SESSIONS = 500;

/**
 * Deletes records of finished (or dead) processes last seen longer ago than the `sessions`
 * retention that governs them (the writer's, when another project sharing the directory wrote
 * them: see retention.ts), and all but the newest MAX_FINISHED_SESSIONS of them. `now` is the
 * time up to which records may go (the earlier of the store's and the local clock); `storeNow`
 * judges other machines' heartbeats.
 */
export async function pruneSessions(
  dir: string,
  rules: Retention,
  now = Date.now(),
  storeNow = now,
): Promise<number> {
  const keepFor = (r: SessionRecord) => {
    const policy = governingPolicy({ namespace: "sessions", retention: r.retention }, rules);
    if (policy === "permanent") return Number.POSITIVE_INFINITY;
    return policyMs(policy) ?? DEFAULT_KEEP_MS;
  };
  const { sessions } = await listSessions(dir, storeNow);
  const finished = sessions
    .filter((s) => s.status !== "alive")
    .sort((a, b) => Date.parse(b.record.lastSeen) - Date.parse(a.record.lastSeen));
  let removed = 0;
  for (const [i, s] of finished.entries()) {
    if (i < MAX_FINISHED_SESSIONS && now - Date.parse(s.record.lastSeen) <= keepFor(s.record)) continue;
    await rm(s.file, { force: true });
    removed++;
  }
  return removed;
}

export function toProcessInfo(s: ListedSession): ProcessInfo {
  const r = s.record;
  return {
    id: r.id,
    pid: r.pid,
    kind: r.kind,
    ...(r.command ? { command: r.command } : {}),
    ...(r.client ? { client: `${r.client.name} ${r.client.version}` } : {}),
    startedAt: r.startedAt,
    lastSeen: r.lastSeen,
    status: s.status,
    calls: r.calls,
    errors: r.errors,
    inFlight: r.inFlight,
  };
}

export async function sessionsBytes(dir: string): Promise<number> {
  let total = 0;
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    total += (await stat(path.join(dir, name)).catch(() => undefined))?.size ?? 0;
  }
  return total;
}
