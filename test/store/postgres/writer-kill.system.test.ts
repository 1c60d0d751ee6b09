/**
 * kill -9 of a writer in the middle of its transaction. The writer is a real `memory-bank
 * batch-store --atomic` process storing thousands of entries; the test watches the database's
 * own view of its session (pg_stat_activity) and kills it while it holds the write lock, either
 * right after taking it or while the big INSERT/UPDATE statement runs. Then:
 *
 * - no batch is half there: every batch's keys are all present or all absent, and the feed
 *   holds only whole transactions, numbered without a gap up to the head;
 * - the write lock died with the writer: another machine writes at once;
 * - a machine that watched all along never saw part of a batch, and ends with the same state.
 */
import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLI, type Connected, connect, ok, removeProject, tempProject } from "../../helpers.js";
import { postgresConfig, type TestDatabase, testDatabase } from "./cluster.js";

const BATCH = 3000;
let db: TestDatabase;
let dir: string;
let watcher: Connected;

beforeAll(async () => {
  db = await testDatabase("writer_kill");
  dir = tempProject(postgresConfig());
  watcher = await connect(tempProject(postgresConfig()), [], db.env());
});

afterAll(async () => {
  await watcher?.close();
  removeProject(dir);
  await db?.close();
});

function batchFile(round: number): string {
  const file = path.join(dir, `batch-${round}.json`);
  const entries = Array.from({ length: BATCH }, (_, i) => ({
    key: `b${round}/${i}`,
    value: { round, i, pad: "x".repeat(1500) },
    namespace: "killed",
  }));
  writeFileSync(file, JSON.stringify(entries));
  return file;
}

/** The writer's session as the database sees it, once it is at `stage`. */
async function waitForStage(stage: "locked" | "writing", exited: () => boolean): Promise<boolean> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline && !exited()) {
    const rows = await db.sql<{ query: string; state: string }>(
      "SELECT query, state FROM pg_stat_activity WHERE datname = $1 AND backend_xid IS NOT NULL",
      [db.name],
    );
    const hit = rows.find((r) =>
      stage === "writing" ? r.state === "active" && r.query.includes("d AS (DELETE") : true,
    );
    if (hit) return true;
  }
  return false;
}

async function present(round: number): Promise<number> {
  const r = await db.sql<{ n: number }>(
    "SELECT count(*)::int AS n FROM memory_bank.entries WHERE namespace = 'killed' AND key LIKE $1",
    [`b${round}/%`],
  );
  return r[0]?.n ?? 0;
}

describe("a writer killed with SIGKILL mid-transaction", () => {
  it("leaves no half-applied batch, releases the lock, and every machine agrees", async () => {
    // Create the schema first, so the writers' start-up is only the load.
    await ok(watcher.client, "memory_store", { key: "start", value: 1, namespace: "killed" });
    const outcomes: Array<{ round: number; stage: string; caught: boolean; stored: number }> = [];
    // "complete": a batch left to finish, so the watcher also meets whole batches.
    const stages: Array<"locked" | "writing" | "complete"> = [
      "writing",
      "locked",
      "complete",
      "writing",
      "locked",
      "writing",
    ];
    let partialSeen = 0;
    let watching = true;
    const watch = (async () => {
      // The watching machine reads every batch's first and last key: never one without the other.
      while (watching) {
        for (let round = 0; round < stages.length; round++) {
          const [a, b] = await Promise.all([
            ok<{ results: unknown[] }>(watcher.client, "memory_query", {
              key: `b${round}/0`,
              namespace: "killed",
            }),
            ok<{ results: unknown[] }>(watcher.client, "memory_query", {
              key: `b${round}/${BATCH - 1}`,
              namespace: "killed",
            }),
          ]);
          // Two reads are not one snapshot: only "last there, first missing" would be a torn batch
          // (the batch inserts both in one statement, and nothing deletes them).
          if (b.results.length === 1 && a.results.length === 0) partialSeen++;
        }
        await new Promise((r) => setTimeout(r, 5));
      }
    })();
    for (const [round, stage] of stages.entries()) {
      const file = batchFile(round);
      const child = spawn(process.execPath, [CLI, "batch-store", file, "--atomic"], {
        cwd: dir,
        env: { PATH: process.env.PATH ?? "", ...db.env() },
        stdio: ["ignore", "pipe", "pipe"],
      });
      let exited = false;
      const done = new Promise<void>((r) => child.on("exit", () => r()));
      child.on("exit", () => {
        exited = true;
      });
      const caught = stage === "complete" ? false : await waitForStage(stage, () => exited);
      if (stage !== "complete") child.kill("SIGKILL");
      await done;
      const stored = await present(round);
      outcomes.push({ round, stage, caught, stored });
      expect([0, BATCH], `round ${round}: batch all or nothing`).toContain(stored);
      if (stage === "complete") expect(stored, "the batch left to finish").toBe(BATCH);
      // The lock died with the session: another machine's write goes through right away.
      await ok(watcher.client, "memory_store", {
        key: `after-kill-${round}`,
        value: round,
        namespace: "killed",
      });
    }
    watching = false;
    await watch;
    process.stderr.write(`writer kills: ${JSON.stringify(outcomes)}\n`);
    expect(partialSeen, "the watching machine saw a batch in part").toBe(0);
    const killedMidTransaction = outcomes.filter((o) => o.caught && o.stored === 0);
    expect(
      killedMidTransaction.length,
      "no kill landed inside a transaction: the fault was not exercised",
    ).toBeGreaterThanOrEqual(3);

    // The feed: whole transactions only, no gap, ending at the head.
    const feed = await db.sql<{ seq: number; txn_last: number }>(
      "SELECT seq, txn_last FROM memory_bank.changes ORDER BY seq",
    );
    const head = await db.sql<{ seq: number }>("SELECT seq FROM memory_bank.head");
    expect(Number(feed[feed.length - 1]?.seq)).toBe(Number(head[0]?.seq));
    feed.forEach((row, i) => {
      if (i > 0) expect(Number(row.seq)).toBe(Number(feed[i - 1]?.seq) + 1);
    });
    feed.forEach((row, i) => {
      const next = feed[i + 1];
      // Where one transaction ends the next begins: its last row is the one its txn_last names.
      if (!next || Number(next.txn_last) !== Number(row.txn_last))
        expect(Number(row.seq)).toBe(Number(row.txn_last));
    });

    // A machine started now loads exactly what the watcher holds.
    const fresh = await connect(tempProject(postgresConfig()), [], db.env());
    try {
      for (const o of outcomes) {
        const [w, f] = await Promise.all(
          [watcher, fresh].map((m) =>
            ok<{ results: unknown[] }>(m.client, "memory_query", {
              namespace: "killed",
              keyPrefix: `b${o.round}/`,
              limit: 1,
            }),
          ),
        );
        expect(f?.results.length, `round ${o.round}`).toBe(o.stored > 0 ? 1 : 0);
        expect(w?.results.length, `round ${o.round} on the watcher`).toBe(o.stored > 0 ? 1 : 0);
      }
    } finally {
      await fresh.close();
    }
  }, 240_000);
});
