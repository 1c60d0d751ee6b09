/**
 * Section 5: several agent sessions on one project, for every kind of server in SERVER_KINDS, side by
 * side in one run: how long sessions take from spawn to their first ranked answer, what they cost in
 * memory together, ranked query latency, concurrent writes, and a one-shot CLI read. Every round
 * runs each kind once, alternating which goes first, so drift on a shared machine hits both alike.
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { gatedChild } from "../lib/children.js";
import { Queries } from "../lib/corpus.js";
import { SERVER_KINDS, type ServerKind } from "../lib/kinds.js";
import type { Workspace } from "../lib/preload.js";
import type { Section } from "../lib/report.js";
import { pssOf, type Running, rssOf } from "../lib/servers.js";
import { bytes, count, median, ms, type Summary, sample, settle } from "../lib/stats.js";

export interface SessionsPlan {
  sizes: number[];
  /** Sessions started at once. */
  sessions: number;
  /** Rounds of "spawn all sessions" and of "spawn one session", per size. */
  rounds: (n: number) => number;
  /** Timed ranked queries (and gets, stores) in one session, per size. */
  samples: (n: number) => number;
  /** Sizes at which writes and the one-shot get are measured too. */
  detailSizes: number[];
  writeRounds: number;
  writesPerSession: number;
  inflight: number;
  getRuns: number;
}

const START_TIMEOUT_MS = 600_000;
const execFileAsync = promisify(execFile);

type Better = "lower" | "higher";

interface Measure {
  what: string;
  unit: "ms" | "bytes" | "rate";
  better: Better;
  /** "median" or "mean" of the per-round values, or "one" for a single figure. */
  agg: "median" | "mean" | "one";
  /** Per kind id: the per-round values. */
  values: Map<string, number[]>;
}

export interface SessionsResult {
  n: number;
  measures: Measure[];
}

function aggregate(m: Measure, id: string): number {
  const v = m.values.get(id) ?? [];
  if (v.length === 0) return Number.NaN;
  if (m.agg === "mean") return v.reduce((a, b) => a + b, 0) / v.length;
  return median(v);
}

function show(unit: Measure["unit"], v: number): string {
  if (unit === "bytes") return bytes(v);
  if (unit === "rate") return Number.isFinite(v) ? Math.round(v).toLocaleString("en-US") : "n/a";
  return ms(v);
}

/** "9.7x slower" / "5.6x faster" / "4.0x more": `a` relative to the baseline `b`. */
function relation(m: Measure, a: number, b: number): string {
  if (!Number.isFinite(a) || !Number.isFinite(b) || a <= 0 || b <= 0) return "n/a";
  const r = a / b;
  const f = (x: number) => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));
  if (m.unit === "bytes") return r >= 1 ? `${f(r)}x more` : `${f(1 / r)}x less`;
  const worse = m.better === "lower" ? r > 1 : r < 1;
  const k = r >= 1 ? r : 1 / r;
  return `${f(k)}x ${worse ? "slower" : "faster"}`;
}

/** Starts `count` sessions at the same moment; each asks one ranked query. Closes them on failure. */
async function spawnAll(
  kind: ServerKind,
  dir: string,
  texts: string[],
): Promise<{ sessions: Running[]; allMs: number; eachMs: number[] }> {
  const started: Running[] = [];
  const t0 = performance.now();
  try {
    const eachMs = await Promise.all(
      texts.map(async (text) => {
        const s = await kind.start(dir, START_TIMEOUT_MS);
        started.push(s);
        await rankedQuery(kind, s, text);
        return performance.now() - t0;
      }),
    );
    return { sessions: started, allMs: Math.max(...eachMs), eachMs };
  } catch (error) {
    await Promise.allSettled(started.map((s) => s.close()));
    throw error;
  }
}

async function rankedQuery(kind: ServerKind, s: Running, text: string): Promise<void> {
  const r = await s.call("memory_query", { query: text, limit: 10 });
  const hits = (r.structuredContent as { results: unknown[] }).results.length;
  // Every query is two words of a stored entry: no hit means the server did not load its data.
  if (hits === 0) throw new Error(`${kind.id}: ranked query '${text}' found nothing`);
}

function pidsOf(kind: ServerKind, dir: string, sessions: readonly Running[]): number[] {
  return kind.pids?.(dir, sessions) ?? sessions.map((s) => s.pid);
}

function totalRss(pids: readonly number[]): number {
  return pids.reduce((sum, pid) => sum + (rssOf(pid)?.rss ?? Number.NaN), 0);
}

function totalPss(pids: readonly number[]): number {
  return pids.reduce((sum, pid) => sum + (pssOf(pid) ?? Number.NaN), 0);
}

async function closeAll(kind: ServerKind, dir: string, sessions: readonly Running[]): Promise<void> {
  await Promise.all(sessions.map((s) => s.close()));
  await kind.afterRound?.(dir);
}

/** Runs `total` calls with `inflight` outstanding at a time. */
async function lanes(total: number, inflight: number, fn: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  const lane = async () => {
    for (let i = next++; i < total; i = next++) await fn(i);
  };
  await Promise.all(Array.from({ length: inflight }, lane));
}

/** Spawn to exit of one command; fails unless it exits 0 and printed `expect`. */
async function oneShot(
  args: string[],
  cwd: string,
  expect: string,
  env: Record<string, string> = {},
): Promise<number> {
  const t = performance.now();
  const { stdout } = await execFileAsync(process.execPath, args, {
    cwd,
    encoding: "utf8",
    env: { ...process.env, ...env },
  });
  const took = performance.now() - t;
  if (!stdout.includes(expect)) throw new Error(`${args.join(" ")} did not print '${expect}'`);
  return took;
}

/** Each round runs every kind once; odd rounds in reverse order. */
function inTurn<T>(round: number, kinds: readonly T[]): T[] {
  return round % 2 === 0 ? [...kinds] : [...kinds].reverse();
}

export async function sessionsSection(
  ws: Workspace,
  plan: SessionsPlan,
  log: (m: string) => void,
  kinds: readonly ServerKind[] = SERVER_KINDS,
) {
  const results: SessionsResult[] = [];
  const preloadNotes: string[] = [];
  const checks: string[] = [];
  let allExact = true;
  const S = plan.sessions;

  for (const n of plan.sizes) {
    const rounds = plan.rounds(n);
    const dirs = new Map<string, string>();
    for (const kind of kinds) {
      log(`sessions: ${count(n)} entries: preloading ${kind.id}`);
      const t = performance.now();
      dirs.set(kind.id, await kind.prepare(ws, `sessions-${kind.id}-${n}`, n));
      preloadNotes.push(`${kind.label} at ${count(n)}: ${ms(performance.now() - t)}`);
    }
    const dirOf = (k: ServerKind) => dirs.get(k.id) as string;
    const m = (what: string, unit: Measure["unit"], better: Better, agg: Measure["agg"]): Measure => ({
      what,
      unit,
      better,
      agg,
      values: new Map(kinds.map((k) => [k.id, []])),
    });
    const push = (x: Measure, k: ServerKind, v: number) => x.values.get(k.id)?.push(v);

    const allAnswered = m(
      `${S} agent sessions: spawn until all ${S} answered a ranked query (median of ${rounds})`,
      "ms",
      "lower",
      "median",
    );
    const first = m(
      `  of which the first of the ${S} to answer (median of ${rounds})`,
      "ms",
      "lower",
      "median",
    );
    const rss = m(
      `${S} agent sessions: total RSS once all answered (median of ${rounds})`,
      "bytes",
      "lower",
      "median",
    );
    const pss = m(
      `${S} agent sessions: total PSS once all answered (median of ${rounds})`,
      "bytes",
      "lower",
      "median",
    );
    const one = m(
      `one session: spawn until first ranked query answered (median of ${rounds})`,
      "ms",
      "lower",
      "median",
    );
    const oneRss = m(`one session: RSS once it answered (median of ${rounds})`, "bytes", "lower", "median");
    const onePss = m(`one session: PSS once it answered (median of ${rounds})`, "bytes", "lower", "median");
    const samples = plan.samples(n);
    const qp50 = m(`ranked two-word query p50 (one session, ${samples} calls)`, "ms", "lower", "one");
    const qp95 = m(`ranked two-word query p95 (one session, ${samples} calls)`, "ms", "lower", "one");
    const gp50 = m(`memory_get p50 (one session, ${samples} calls)`, "ms", "lower", "one");
    const sp50 = m(`memory_store p50 (one session, ${samples} calls, new keys)`, "ms", "lower", "one");
    const measures = [allAnswered, first, rss, pss, one, oneRss, onePss, qp50, qp95, gp50, sp50];

    // (a, b) All sessions at once.
    for (let r = 0; r < rounds; r++) {
      for (const kind of inTurn(r, kinds)) {
        log(`sessions: ${count(n)}: ${S} ${kind.id} sessions at once, round ${r + 1}/${rounds}`);
        const q = new Queries(n, 0x5e55 + r);
        const texts = Array.from({ length: S }, () => q.text());
        const got = await spawnAll(kind, dirOf(kind), texts);
        push(allAnswered, kind, got.allMs);
        push(first, kind, Math.min(...got.eachMs));
        const pids = pidsOf(kind, dirOf(kind), got.sessions);
        push(rss, kind, totalRss(pids));
        push(pss, kind, totalPss(pids));
        await closeAll(kind, dirOf(kind), got.sessions);
      }
    }

    // (c, d) One session; the last round goes on to the latency samples.
    for (let r = 0; r < rounds; r++) {
      for (const kind of inTurn(r, kinds)) {
        log(`sessions: ${count(n)}: one ${kind.id} session, round ${r + 1}/${rounds}`);
        const q = new Queries(n, 0x0e5e + r);
        const got = await spawnAll(kind, dirOf(kind), [q.text()]);
        const s = got.sessions[0] as Running;
        push(one, kind, got.allMs);
        const pids = pidsOf(kind, dirOf(kind), got.sessions);
        push(oneRss, kind, totalRss(pids));
        push(onePss, kind, totalPss(pids));
        try {
          if (r === rounds - 1) {
            await settle();
            const timed = new Queries(n, 0x7e57 + n);
            const warm = new Queries(n, 0x3a3a + n);
            const qs = await sample(samples, (i) => rankedQuery(kind, s, (i < 0 ? warm : timed).text()));
            const gets = await sample(samples, async (i) => {
              const r2 = await s.call("memory_get", { key: (i < 0 ? warm : timed).existingName() });
              if (!(r2.structuredContent as { found: boolean }).found)
                throw new Error(`${kind.id}: get missed`);
            });
            const stores = await sample(samples, (i) =>
              s.call("memory_store", {
                key: `bench/one-${i}`,
                value: [timed.sentence()],
                namespace: "bench-one",
                tags: ["bench"],
              }),
            );
            const put = (x: Measure, v: Summary, p: "p50" | "p95") => push(x, kind, v[p]);
            put(qp50, qs, "p50");
            put(qp95, qs, "p95");
            put(gp50, gets, "p50");
            put(sp50, stores, "p50");
          }
        } finally {
          await closeAll(kind, dirOf(kind), got.sessions);
        }
      }
    }

    if (plan.detailSizes.includes(n)) {
      // (f) One-shot get, spawn to exit, on the store as preloaded.
      const get = m(
        `one-shot get of one key: spawn to exit (median of ${plan.getRuns})`,
        "ms",
        "lower",
        "median",
      );
      const gq = new Queries(n, 0x9e7);
      for (let r = 0; r < plan.getRuns; r++) {
        const key = gq.existingName();
        for (const kind of inTurn(r, kinds)) {
          log(`sessions: ${count(n)}: one-shot get (${kind.id}), run ${r + 1}/${plan.getRuns}`);
          push(get, kind, await oneShot(kind.oneShotGet.args(key), dirOf(kind), key, kind.oneShotGet.env));
        }
      }
      measures.push(get);

      // (e) Writers through MCP: S sessions kept open, each with `inflight` memory_store calls
      // outstanding; every session answered a ranked query first (ours: its index is built).
      const W = plan.writesPerSession;
      const F = plan.inflight;
      const stdioRate = m(
        `${S} sessions x ${F} in flight, memory_store over stdio: writes/s (mean of ${plan.writeRounds})`,
        "rate",
        "higher",
        "mean",
      );
      const open = new Map<string, Running[]>();
      try {
        for (const kind of kinds) {
          log(`sessions: ${count(n)}: starting ${S} ${kind.id} sessions for the writers`);
          const q = new Queries(n, 0x3717);
          open.set(
            kind.id,
            (
              await spawnAll(
                kind,
                dirOf(kind),
                Array.from({ length: S }, () => q.text()),
              )
            ).sessions,
          );
        }
        await settle();
        const values = new Queries(1000, 0xa11).sentence();
        for (let r = 0; r < plan.writeRounds; r++) {
          for (const kind of inTurn(r, kinds)) {
            log(
              `sessions: ${count(n)}: ${S} ${kind.id} sessions writing, round ${r + 1}/${plan.writeRounds}`,
            );
            const sessions = open.get(kind.id) as Running[];
            const t = performance.now();
            await Promise.all(
              sessions.map((s, id) =>
                lanes(W, F, (i) =>
                  s.call("memory_store", {
                    key: `stdio-r${r}/s${id}/k-${i}`,
                    value: [values],
                    namespace: "multi-stdio",
                  }),
                ),
              ),
            );
            push(stdioRate, kind, (S * W * 1000) / (performance.now() - t));
          }
        }
      } finally {
        for (const kind of kinds) {
          const sessions = open.get(kind.id);
          if (sessions) await closeAll(kind, dirOf(kind), sessions);
        }
      }
      measures.push(stdioRate);

      // (e') The same writes from S library processes, no MCP: writer.ts for this project.
      const libRate = m(
        `${S} writer processes x ${F} in flight, library calls (no MCP): writes/s (mean of ${plan.writeRounds})`,
        "rate",
        "higher",
        "mean",
      );
      for (let r = 0; r < plan.writeRounds; r++) {
        for (const kind of inTurn(r, kinds)) {
          log(`sessions: ${count(n)}: ${S} ${kind.id} writer processes, round ${r + 1}/${plan.writeRounds}`);
          const children = Array.from({ length: S }, (_, id) =>
            gatedChild(
              kind.writerChild,
              {
                dir: dirOf(kind),
                id,
                count: W,
                inflight: F,
                namespace: "multi-lib",
                prefix: `lib-r${r}/`,
                ...kind.writerArgs,
              },
              START_TIMEOUT_MS,
            ),
          );
          await Promise.all(children.map((c) => c.ready));
          for (const c of children) c.go();
          const out = (await Promise.all(children.map((c) => c.result))) as Array<{
            startedAt: number;
            endedAt: number;
          }>;
          const span = Math.max(...out.map((o) => o.endedAt)) - Math.min(...out.map((o) => o.startedAt));
          push(libRate, kind, (S * W * 1000) / Math.max(1, span));
        }
      }
      measures.push(libRate);

      // The count check: every acknowledged write is in the files, none twice.
      for (const kind of kinds) {
        for (const ns of ["multi-stdio", "multi-lib"]) {
          const want = plan.writeRounds * S * W;
          const have = await kind.count(dirOf(kind), ns);
          if (have !== want) allExact = false;
          checks.push(
            `${kind.label} at ${count(n)}, ${ns}: ${have} of ${want}${have === want ? "" : " WRONG"}`,
          );
        }
      }
    }
    results.push({ n, measures });
  }

  const base = kinds.find((k) => k.baseline) ?? (kinds[kinds.length - 1] as ServerKind);
  const others = kinds.filter((k) => k !== base);
  const ratioHeader = (k: ServerKind) => (others.length === 1 ? "ratio" : `${k.label} vs ${base.label}`);
  const rows: string[][] = [];
  const roundRows: string[][] = [];
  for (const { n, measures } of results) {
    for (const x of measures) {
      const agg = kinds.map((k) => aggregate(x, k.id));
      const baseV = aggregate(x, base.id);
      rows.push([
        count(n),
        x.what,
        ...agg.map((v) => show(x.unit, v)),
        ...others.map((k) => relation(x, aggregate(x, k.id), baseV)),
      ]);
      if (x.agg === "one") continue;
      for (const k of kinds) {
        const v = x.values.get(k.id) ?? [];
        roundRows.push([
          count(n),
          x.what.replace(/ \((median|mean) of \d+\)$/, ""),
          k.label,
          v.map((y) => show(x.unit, y)).join(", "),
          `${show(x.unit, Math.min(...v))} – ${show(x.unit, Math.max(...v))}`,
        ]);
      }
    }
  }

  const section: Section = {
    title: "5. Agent sessions on one project: this project against a plain SQLite server",
    intro: `Every kind starts from the same ${plan.sizes.map(count).join(" and ")} entries (bench/lib/corpus.ts, namespace default) and gets the same calls from the SDK client over real stdio. Sessions are spawned at the same moment; "answered" means a ranked two-word memory_query (limit 10) came back with hits. RSS is VmRSS from /proc of each session's processes (a bank server counted once), summed; PSS is the same sum of Pss from /proc/PID/smaps_rollup, where a page shared by k processes (the node binary's, say) counts 1/k to each. Each round runs every kind once, alternating which goes first.`,
    tables: [
      {
        headers: ["N entries", "what", ...kinds.map((k) => k.label), ...others.map(ratioHeader)],
        rows,
      },
      {
        title: "Every round (the spread)",
        headers: ["N", "what", "kind", "per round", "min – max"],
        rows: roundRows,
      },
    ],
    notes: [
      ...kinds.map((k) => `${k.label}: ${k.describe}.`),
      `One-shot get: ${kinds.map((k) => `${k.label} ${k.oneShotGet.describe}`).join("; ")}; each run must exit 0 and print the key.`,
      `Writers: each round every session (or writer process) writes ${plan.writesPerSession} new keys; over stdio the ${S} sessions are the same processes for every round, started (and having answered a ranked query) before the first. Library writers are fresh processes each round: this project's bench/child/writer.ts (MemoryBank, released once its index is built) and bench/child/sqlite-writer.ts (the peer's store: better-sqlite3 is synchronous, so its "in flight" writes run one after another). Writes/s is all acknowledged writes over the time from the first start to the last acknowledgement.`,
      allExact
        ? `Count check, from the files after every process exited: ${checks.join("; ")}.`
        : `A COUNT CHECK FAILED: ${checks.join("; ")}.`,
      `Preload (not timed above): ${preloadNotes.join("; ")}.`,
    ],
  };
  return { section, results, allExact };
}
