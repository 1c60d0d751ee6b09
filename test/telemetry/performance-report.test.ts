/** performance-report's timeline: latency and throughput over time from the session records. */
import { describe, expect, it } from "vitest";
import { performanceTimeline } from "../../src/telemetry/performance-report.js";
import {
  emptyOpStats,
  LATENCY_BUCKETS_MS,
  type ListedSession,
  type OpStats,
  type SessionRecord,
} from "../../src/telemetry/sessions.js";

/** Stats of `count` calls that each took `ms`. */
function calls(count: number, ms: number): OpStats {
  const s = emptyOpStats();
  const bucket = LATENCY_BUCKETS_MS.findIndex((b) => ms <= b);
  s.histogram[bucket] = count;
  return { ...s, count, totalMs: count * ms, maxMs: ms };
}

function session(startedAt: number, lastSeen: number, ops: Record<string, OpStats>): ListedSession {
  const record: SessionRecord = {
    format: "memory-bank-session",
    version: 1,
    id: `cli-${startedAt}`,
    pid: 1,
    host: "h",
    kind: "cli",
    startedAt: new Date(startedAt).toISOString(),
    lastSeen: new Date(lastSeen).toISOString(),
    intervalMs: 5000,
    calls: Object.values(ops).reduce((n, o) => n + o.count, 0),
    errors: 0,
    retries: 0,
    ops,
    inFlight: [],
  };
  return { record, status: "ended", file: "x" };
}

describe("performanceTimeline", () => {
  const t0 = Date.parse("2026-01-01T00:00:00Z");

  it("puts each process's calls in the interval of its last heartbeat, with their latency and rate", () => {
    const timeline = performanceTimeline(
      [
        session(t0, t0 + 1000, { memory_store: calls(10, 2) }),
        session(t0 + 50_000, t0 + 51_000, { memory_query: calls(30, 40), memory_get: calls(10, 0.5) }),
      ],
      t0 + 100_000,
      4,
    );
    expect(timeline.map((p) => p.calls)).toEqual([10, 0, 40, 0]);
    expect(timeline[0]).toMatchObject({ from: "2026-01-01T00:00:00.000Z", meanMs: 2, callsPerSec: 0.4 });
    // Percentiles come from the latency histogram: within the bucket the calls fell in.
    const p50 = timeline[0]?.p50Ms ?? 0;
    expect(p50 > 1 && p50 <= 2).toBe(true);
    const p95 = timeline[2]?.p95Ms ?? 0;
    expect(p95 > 30 && p95 <= 50).toBe(true);
    expect(timeline[2]?.meanMs).toBe(30.125);
    expect(timeline[1]).toMatchObject({ calls: 0, p50Ms: 0, callsPerSec: 0 });
    expect(timeline[3]?.to).toBe(new Date(t0 + 100_000).toISOString());
  });

  it("is empty without records", () => {
    expect(performanceTimeline([], t0, 10)).toEqual([]);
  });
});
