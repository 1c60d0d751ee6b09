/**
 * A writer that holds the store lock and stops running for a while (SIGSTOP: a debugger, a
 * suspended terminal job, a paused VM), and a writer whose clock is wrong (libfaketime), must
 * never make another writer's acknowledged writes disappear. Two real servers share a 30k-entry
 * store that compacts often; one is stopped while it compacts with the lock held, longer than
 * `memory.store.lockStaleMs`, while the other keeps writing; then it continues. Afterwards a
 * fresh process must find every write either server acknowledged.
 */
import { readdirSync, readlinkSync } from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { type Connected, call, connect, removeProject, tempProject, textOf } from "../helpers.js";
import { faketimeEnv } from "../system-deps.js";
import { exportAll, STRESS, sleep } from "./harness.js";

const NS = "paused";
const STALE_MS = 5000;
const ROUNDS = STRESS ? 8 : 2;

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) removeProject(d);
});

function project(): string {
  const dir = tempProject({
    memory: { store: { lockStaleMs: STALE_MS, compactAfterBytes: 64 * 1024, backupsKept: 2 } },
  });
  dirs.push(dir);
  return dir;
}

/** A 30k-entry store, so that a compaction takes a while and a stop often lands inside one. */
async function seed(s: Connected): Promise<void> {
  for (let b = 0; b < 30; b++) {
    const entries = Array.from({ length: 1000 }, (_, i) => ({
      key: `seed/${b}/${i}`,
      value: `seed value ${b}-${i} ${"s".repeat(300)}`,
    }));
    const r = await call(s.client, "batch_store", { entries, namespace: "seed" });
    expect(r.isError, textOf(r)).toBeFalsy();
  }
}

/** Stores distinct keys from `lanes` concurrent loops until stopped; acknowledged ones go into `acked`. */
function writer(s: Connected, name: string, acked: Map<string, string>, lanes = 2) {
  let stopped = false;
  const done = Promise.all(
    Array.from({ length: lanes }, async (_, lane) => {
      for (let i = 0; !stopped; i++) {
        const key = `${name}/${lane}/${i}`;
        const value = `${key} ${"v".repeat(1000)}`;
        const r = await call(s.client, "memory_store", { key, value, namespace: NS }, 120_000).catch(
          () => undefined,
        );
        if (!r || r.isError) continue; // not acknowledged (LOCK_BUSY while the holder is stopped): not promised
        acked.set(key, value);
      }
    }),
  );
  return { stop: () => (stopped = true), done };
}

function lockOwnerPid(dataFile: string): number | undefined {
  try {
    const text = readlinkSync(`${dataFile}.lock`);
    const m = /^memory-bank-lock:(?:2:)?(\d+):/.exec(text);
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

function compactionTempOf(memory: string, pid: number): boolean {
  return readdirSync(memory).some(
    (n) => n.startsWith(`.claude-flow-data.json.${pid}.`) && n.endsWith(".tmp"),
  );
}

async function missingIn(dir: string, acked: Map<string, string>): Promise<string[]> {
  const fresh = await connect(dir);
  try {
    const all = await exportAll(fresh.client, dir, `check-${Date.now()}`);
    return [...acked].filter(([k, v]) => all.get(`${NS}/${k}`)?.value !== v).map(([k]) => k);
  } finally {
    await fresh.close();
  }
}

describe("a lock holder that stops running", () => {
  it(`stopped (SIGSTOP) with the lock held during a compaction, longer than lockStaleMs, ${ROUNDS} rounds: nothing either server acknowledged is lost`, async () => {
    const dir = project();
    const memory = path.join(dir, "memory");
    const dataFile = path.join(memory, "claude-flow-data.json");
    const a = await connect(dir);
    const b = await connect(dir);
    const acked = new Map<string, string>();
    const figures: string[] = [];
    let stops = 0;
    try {
      await seed(a);
      for (let round = 0; round < ROUNDS; round++) {
        const wa = writer(a, `a${round}`, acked);
        const wb = writer(b, `b${round}`, acked);
        const pid = a.pid as number;
        // Stop A the moment it is compacting with the lock held (its snapshot temp file exists).
        let stopped = false;
        const deadline = Date.now() + 20_000;
        while (!stopped && Date.now() < deadline) {
          if (lockOwnerPid(dataFile) === pid && compactionTempOf(memory, pid)) {
            process.kill(pid, "SIGSTOP");
            if (lockOwnerPid(dataFile) === pid) stopped = true;
            else process.kill(pid, "SIGCONT");
          } else {
            await sleep(1);
          }
        }
        expect(stopped, "server A was never caught compacting with the lock held").toBe(true);
        stops++;
        const before = acked.size;
        await sleep(STALE_MS + 2500);
        const duringStop = acked.size - before;
        process.kill(pid, "SIGCONT");
        await sleep(1500);
        wa.stop();
        wb.stop();
        await Promise.all([wa.done, wb.done]);
        figures.push(`round ${round}: ${duringStop} acknowledged while A was stopped`);
      }
    } finally {
      await a.close().catch(() => {});
      await b.close().catch(() => {});
    }
    const missing = await missingIn(dir, acked);
    process.stderr.write(
      `paused lock holder: ${stops} stops of ${STALE_MS + 2500} ms with the lock held; ${acked.size} writes acknowledged, ${acked.size - missing.length} found afterwards (${figures.join("; ")})\n`,
    );
    expect(missing, `${missing.length} of ${acked.size} acknowledged writes lost`).toEqual([]);
    expect(acked.size, "too few writes to mean anything").toBeGreaterThan(20);
  }, 180_000);

  it("a server whose clock runs 1 h ahead (libfaketime) does not see held locks as stale: nothing is lost", async () => {
    const dir = project();
    const fast = await connect(dir, [], faketimeEnv("+1h"));
    const normal = await connect(dir);
    const acked = new Map<string, string>();
    try {
      await seed(normal);
      const w1 = writer(fast, "fast", acked, 3);
      const w2 = writer(normal, "normal", acked, 3);
      await sleep(STRESS ? 30_000 : 8000);
      w1.stop();
      w2.stop();
      await Promise.all([w1.done, w2.done]);
    } finally {
      await fast.close().catch(() => {});
      await normal.close().catch(() => {});
    }
    const missing = await missingIn(dir, acked);
    process.stderr.write(
      `clock 1 h ahead: ${acked.size} writes acknowledged by two servers, ${acked.size - missing.length} found afterwards\n`,
    );
    expect(missing, `${missing.length} of ${acked.size} acknowledged writes lost`).toEqual([]);
    expect(acked.size, "too few writes to mean anything").toBeGreaterThan(20);
  }, 180_000);
});
