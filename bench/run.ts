/**
 * npm run bench [-- --quick] [-- --only peer,scaling,claims,multi,sessions,postgres] [-- --out FILE.md]
 *
 * Runs every section, prints each table as it is done, and writes bench/RESULTS.md plus the
 * latency chart bench/latency.svg (--quick writes bench/RESULTS.quick.md and latency.quick.svg).
 */
import { execFileSync } from "node:child_process";
import { closeSync, fdatasyncSync, openSync, rmSync, writeFileSync, writeSync } from "node:fs";
import { open } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { SERVER_KINDS } from "./lib/kinds.js";
import { Workspace } from "./lib/preload.js";
import { latencyChart, renderSection, type Section, type Series } from "./lib/report.js";
import { ROOT } from "./lib/servers.js";
import { ms, summarize } from "./lib/stats.js";
import { type ClaimsPlan, claimsSection } from "./sections/claims.js";
import { type MultiPlan, multiprocSection } from "./sections/multiproc.js";
import { type PeerPlan, peerSection } from "./sections/peer.js";
import { type PostgresPlan, postgresSection } from "./sections/postgres.js";
import { type ScalingPlan, scalingSection } from "./sections/scaling.js";
import { type SessionsPlan, sessionsSection } from "./sections/sessions.js";

const SECTIONS = ["peer", "scaling", "claims", "multi", "sessions", "postgres"] as const;
type SectionName = (typeof SECTIONS)[number];

function parseArgs(argv: string[]) {
  let quick = false;
  let only: SectionName[] = [...SECTIONS];
  let out: string | undefined;
  let sizes: number[] | undefined;
  let kinds: string[] | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === "--quick") quick = true;
    else if (a === "--only" || a.startsWith("--only=")) {
      const v = a.includes("=") ? a.slice(7) : (argv[++i] ?? "");
      only = v.split(",").filter(Boolean) as SectionName[];
      for (const s of only)
        if (!SECTIONS.includes(s)) throw new Error(`--only: unknown section '${s}' (${SECTIONS.join(", ")})`);
    } else if (a === "--out" || a.startsWith("--out=")) out = a.includes("=") ? a.slice(6) : argv[++i];
    else if (a === "--kinds" || a.startsWith("--kinds=")) {
      kinds = (a.includes("=") ? a.slice(8) : (argv[++i] ?? "")).split(",").filter(Boolean);
      const known = SERVER_KINDS.map((k) => k.id);
      for (const k of kinds)
        if (!known.includes(k)) throw new Error(`--kinds: unknown kind '${k}' (${known.join(", ")})`);
    } else if (a === "--sessions-sizes" || a.startsWith("--sessions-sizes=")) {
      const v = a.includes("=") ? a.slice(a.indexOf("=") + 1) : (argv[++i] ?? "");
      sizes = v.split(",").map(Number);
      if (sizes.some((n) => !Number.isInteger(n) || n < 1))
        throw new Error(`--sessions-sizes: whole numbers separated by commas, e.g. 100000,1000000`);
    } else if (a === "--help" || a === "-h") {
      process.stdout.write(
        `usage: node dist/bench/run.js [--quick] [--only ${SECTIONS.join(",")}] [--sessions-sizes 100000,1000000] [--kinds ${SERVER_KINDS.map((k) => k.id).join(",")}] [--out FILE.md]\n`,
      );
      process.exit(0);
    } else throw new Error(`unknown argument '${a}'`);
  }
  return { quick, only, out, sizes, kinds };
}

interface Plan {
  peer: PeerPlan;
  scaling: ScalingPlan;
  claims: ClaimsPlan;
  multi: MultiPlan;
  sessions: SessionsPlan;
  postgres: PostgresPlan;
}

const FULL: Plan = {
  peer: {
    sizes: [1_000, 10_000, 100_000],
    samples: (n: number, who: "peer" | "ours") =>
      who === "ours" ? 300 : n <= 1_000 ? 100 : n <= 10_000 ? 40 : 15,
  },
  scaling: {
    sizes: [1_000, 10_000, 100_000, 1_000_000],
    samples: (n: number) => (n >= 1_000_000 ? 200 : 300),
  },
  claims: {
    n: 10_000,
    batchEntries: 1000,
    batchRounds: 3,
    queryRounds: 10,
    buildN: 100_000,
    buildRounds: 2,
    exchangeN: 10_000,
    exchangeRounds: 2,
  },
  multi: { n: 10_000, processes: [1, 2, 4], inflight: [1, 8], writesPerProcess: 500 },
  sessions: {
    sizes: [100_000, 1_000_000],
    sessions: 4,
    rounds: (n) => (n >= 1_000_000 ? 3 : 6),
    samples: (n) => (n >= 1_000_000 ? 100 : 300),
    detailSizes: [100_000],
    writeRounds: 6,
    writesPerSession: 300,
    inflight: 8,
    getRuns: 10,
  },
  postgres: { n: 10_000, samples: 300, writers: 4, writesPerProcess: 300, visibilityRounds: 100 },
};

const QUICK: Plan = {
  peer: { sizes: [1_000], samples: (_n, who) => (who === "ours" ? 100 : 30) },
  scaling: { sizes: [1_000, 10_000], samples: () => 100 },
  claims: {
    n: 1_000,
    batchEntries: 1000,
    batchRounds: 1,
    queryRounds: 5,
    buildN: 10_000,
    buildRounds: 1,
    exchangeN: 2_000,
    exchangeRounds: 1,
  },
  multi: { n: 1_000, processes: [1, 2, 4], inflight: [1, 8], writesPerProcess: 100 },
  sessions: {
    sizes: [10_000, 100_000],
    sessions: 4,
    rounds: (n) => (n >= 100_000 ? 2 : 3),
    samples: () => 100,
    detailSizes: [100_000],
    writeRounds: 2,
    writesPerSession: 100,
    inflight: 8,
    getRuns: 3,
  },
  postgres: { n: 1_000, samples: 100, writers: 4, writesPerProcess: 100, visibilityRounds: 30 },
};

/** The disk under the benchmark's stores: what one small append + fdatasync costs. */
async function fsyncProbe(dir: string) {
  const file = path.join(dir, "fsync-probe");
  const buf = Buffer.alloc(300, 120);
  const fd = openSync(file, "a");
  const raw: number[] = [];
  try {
    for (let i = 0; i < 200; i++) {
      const t = performance.now();
      writeSync(fd, buf);
      fdatasyncSync(fd);
      raw.push(performance.now() - t);
    }
  } finally {
    closeSync(fd);
  }
  const full: number[] = [];
  for (let i = 0; i < 200; i++) {
    const t = performance.now();
    const h = await open(file, "a");
    await h.write(buf);
    await h.datasync();
    await h.close();
    full.push(performance.now() - t);
  }
  rmSync(file, { force: true });
  return { raw: summarize(raw), full: summarize(full) };
}

function gitCommit(): string {
  try {
    const head = execFileSync("git", ["rev-parse", "--short", "HEAD"], {
      cwd: ROOT,
      encoding: "utf8",
    }).trim();
    const dirty = execFileSync("git", ["status", "--porcelain", "--", "src", "tools"], {
      cwd: ROOT,
      encoding: "utf8",
    }).trim();
    return dirty ? `${head} (+ uncommitted changes in src/ or tools/)` : head;
  } catch {
    return "unknown";
  }
}

/** The issue's targets, each with the measured value from this run. */
function targetsSection(
  peer: Awaited<ReturnType<typeof peerSection>> | undefined,
  scaling: Awaited<ReturnType<typeof scalingSection>> | undefined,
  claims: Awaited<ReturnType<typeof claimsSection>> | undefined,
  fsyncP50: number,
): Section {
  const rows: string[][] = [];
  const row = (
    target: string,
    value: number | undefined,
    ok: (v: number) => boolean,
    show: (v: number) => string,
  ) =>
    rows.push([
      target,
      value === undefined || !Number.isFinite(value) ? "not measured" : show(value),
      value === undefined || !Number.isFinite(value) ? "-" : ok(value) ? "met" : "MISSED",
    ]);
  const s100k = scaling?.results.find((r) => r.n === 100_000);
  const s1m = scaling?.results.find((r) => r.n === 1_000_000);
  const p100k = peer?.results.find((r) => r.n === 100_000);
  row("store p50 <= 1 ms over stdio at 100k", s100k?.stdio.store.p50, (v) => v <= 1, ms);
  row("two-word text query p50 <= 2 ms over stdio at 100k", s100k?.stdio.text.p50, (v) => v <= 2, ms);
  row(
    "start-up <= 1 s at 100k (spawn to initialize: store loaded; the index builds in the background)",
    s100k?.stdio.startMs,
    (v) => v <= 1000,
    ms,
  );
  row(
    "start-up <= 1 s at 100k, counting the index (spawn to first ranked query answered)",
    s100k?.stdio.readyMs,
    (v) => v <= 1000,
    ms,
  );
  const x = (v: number) => `${v.toFixed(v >= 100 ? 0 : 1)}x`;
  const peerRatio = (op: string) => {
    if (!p100k) return undefined;
    const k = op as keyof typeof p100k.peer.ops;
    return p100k.peer.ops[k].p50 / p100k.ours.ops[k].p50;
  };
  row(
    "store >= 100x the peer at 100k (create_entities vs memory_store, p50)",
    peerRatio("store (new entity)"),
    (v) => v >= 100,
    x,
  );
  row(
    "store >= 100x the peer at 100k (add_observations vs memory_store update, p50)",
    peerRatio("store (update existing)"),
    (v) => v >= 100,
    x,
  );
  row(
    "query >= 100x the peer at 100k (search_nodes vs memory_query text, p50)",
    peerRatio("query (two-word text)"),
    (v) => v >= 100,
    x,
  );
  row(
    "query >= 100x the peer at 100k (open_nodes vs memory_query key, p50)",
    peerRatio("query (exact name/key)"),
    (v) => v >= 100,
    x,
  );
  const batch = claims?.rows[0];
  row(
    "batch_store of 1,000 >= 50x 1,000 sequential memory_store",
    batch?.slowMs !== undefined && batch.fastMs !== undefined ? batch.slowMs / batch.fastMs : undefined,
    (v) => v >= 50,
    x,
  );
  row("1M entries load (store, answering) <= 10 s, in-process", s1m?.inproc.openMs, (v) => v <= 10_000, ms);
  row("1M entries load (store + index) <= 10 s, in-process", s1m?.inproc.indexMs, (v) => v <= 10_000, ms);
  row(
    "1M entries within 2 GB RSS (server peak, index built)",
    s1m?.stdio.peak,
    (v) => v <= 2 * 2 ** 30,
    (v) => `${(v / 2 ** 30).toFixed(2)} GiB`,
  );
  return {
    title: "7. Targets",
    tables: [{ headers: ["target", "measured in this run", "status"], rows }],
    notes: [
      `For scale: one small journal append + fdatasync on this disk costs ${ms(fsyncP50)} (p50); every acknowledged store pays one (batches and concurrent writers share it).`,
    ],
  };
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const base = args.quick ? QUICK : FULL;
  const plan = args.sizes ? { ...base, sessions: { ...base.sessions, sizes: args.sizes } } : base;
  const benchDir = path.join(ROOT, "bench");
  const outMd = args.out ?? path.join(benchDir, args.quick ? "RESULTS.quick.md" : "RESULTS.md");
  // The chart goes beside the tables: latency[.quick].svg for the default names, FILE.svg for --out FILE.md.
  const outSvg = /RESULTS(\.quick)?\.md$/.test(outMd)
    ? outMd.replace(/RESULTS(\.quick)?\.md$/, (_m, q: string | undefined) => `latency${q ?? ""}.svg`)
    : `${outMd.replace(/\.md$/, "")}.svg`;
  const started = performance.now();
  const log = (m: string) =>
    process.stderr.write(`[${((performance.now() - started) / 1000).toFixed(1)}s] ${m}\n`);
  const ws = new Workspace();
  const sections: Section[] = [];
  const chart: Series[] = [];
  const emit = (s: Section) => {
    sections.push(s);
    process.stdout.write(`\n${renderSection(s)}`);
  };

  const cpus = os.cpus();
  const probe = await fsyncProbe(ws.root);
  const header = [
    `# memory-bank-mcp benchmarks${args.quick ? " (quick run: small sizes, not the reference numbers)" : ""}`,
    "",
    `- Date: ${new Date().toISOString()}`,
    `- Machine: ${cpus[0]?.model.trim() ?? "unknown CPU"}, ${cpus.length} cores, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB RAM, ${os.type()} ${os.release()} (${os.arch()})`,
    `- Node ${process.version}; code at ${gitCommit()}`,
    `- Disk under the stores (${os.tmpdir()}): 300-byte append + fdatasync p50 ${ms(probe.raw.p50)}, p95 ${ms(probe.raw.p95)}; open + append + fdatasync + close (what one journal commit does) p50 ${ms(probe.full.p50)}, p95 ${ms(probe.full.p95)}`,
    `- Rerun: \`npm run bench\` (about 30-40 minutes on 2 busy cores, 20 of them section 5 with its 1M sessions) or \`npm run bench -- --quick\` (a few minutes).`,
    "",
  ].join("\n");
  process.stdout.write(header);

  let peer: Awaited<ReturnType<typeof peerSection>> | undefined;
  let scaling: Awaited<ReturnType<typeof scalingSection>> | undefined;
  let claims: Awaited<ReturnType<typeof claimsSection>> | undefined;
  try {
    if (args.only.includes("peer")) {
      peer = await peerSection(ws, plan.peer, log);
      emit(peer.section);
      chart.push(...peer.chart);
    }
    if (args.only.includes("scaling")) {
      scaling = await scalingSection(ws, plan.scaling, log);
      emit(scaling.section);
      chart.unshift(...scaling.chart);
    }
    if (args.only.includes("claims")) {
      claims = await claimsSection(ws, plan.claims, log);
      emit(claims.section);
    }
    if (args.only.includes("multi")) emit((await multiprocSection(ws, plan.multi, log)).section);
    if (args.only.includes("sessions"))
      emit(
        (
          await sessionsSection(
            ws,
            plan.sessions,
            log,
            args.kinds ? SERVER_KINDS.filter((k) => args.kinds?.includes(k.id)) : SERVER_KINDS,
          )
        ).section,
      );
    if (args.only.includes("postgres")) emit((await postgresSection(ws, plan.postgres, log)).section);
    emit(targetsSection(peer, scaling, claims, probe.raw.p50));
  } catch (error) {
    log(`benchmark failed: ${(error as Error).stack ?? String(error)}`);
    throw error;
  } finally {
    try {
      ws.dispose();
    } catch (error) {
      log(`could not remove ${ws.root}: ${(error as Error).message}`);
    }
  }

  const svgName = path.basename(outSvg);
  const body = sections.map(renderSection).join("\n");
  const chartNote =
    chart.length > 0
      ? `\n![p50 latency against store size, ours and the official memory server](${svgName})\n\nOurs: section 2 (stdio); peer: section 1.\n`
      : "";
  writeFileSync(outMd, `${header}${chartNote}\n${body}`);
  if (chart.length > 0)
    writeFileSync(outSvg, latencyChart("p50 latency per call vs. entries in the store", chart));
  log(`wrote ${path.relative(ROOT, outMd)}${chart.length > 0 ? ` and ${path.relative(ROOT, outSvg)}` : ""}`);
}

await main();
