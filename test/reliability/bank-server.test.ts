/**
 * The bank server in the loop of the crash suite: sessions relayed to it and a session that
 * opens the store itself write at once, with compactions every few KiB, and the bank server is
 * SIGKILLed mid-write. Every acknowledged write survives, the relayed sessions end (their
 * client sees the server go), and the next session starts a new bank server over the stale
 * socket and the dead server's lock.
 */
import { existsSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { isProcessAlive } from "../../src/store/process-alive.js";
import { type Connected, call, connect, ok, tempProjects } from "../helpers.js";
import { serverLog, serverPid, session, socketOf, stopServers, waitFor } from "../server/harness.js";
import { rng, SEED, smallStoreConfig } from "./harness.js";

const project = tempProjects();
const pids = new Set<number>();
const open: Connected[] = [];

afterEach(async () => {
  for (const s of open.splice(0)) await s.close().catch(() => {});
  await stopServers(pids);
  pids.clear();
});

describe(`a SIGKILLed bank server (seed ${SEED})`, () => {
  it("loses no acknowledged write, and the next session starts a new one", async () => {
    const dir = project(smallStoreConfig());
    const random = rng(SEED);
    const relayed = await Promise.all([session(dir), session(dir), session(dir)]);
    const alone = await connect(dir); // MEMORY_BANK_SHARED=0: opens the store itself, beside the server
    open.push(...relayed, alone);
    const pid = serverPid(relayed[0] as Connected);
    pids.add(pid);
    const acked: Array<{ key: string; value: string }> = [];
    const killAfter = 60 + random.int(60);
    let killed = false;
    const writer = async (s: Connected, name: string) => {
      for (let i = 0; ; i++) {
        const key = `${name}-${i}`;
        const value = `${name} write ${i} ${"x".repeat(random.int(400))}`;
        let r: Awaited<ReturnType<typeof call>>;
        try {
          r = await call(s.client, "memory_store", { key, value }, 20_000);
        } catch {
          return; // the connection went with the server
        }
        if (r.isError) throw new Error(`${key}: ${JSON.stringify(r.content)}`);
        acked.push({ key, value });
        if (!killed && acked.length >= killAfter) {
          killed = true;
          process.kill(pid, "SIGKILL");
        }
        if (killed && s === alone && i > 0 && acked.length > killAfter + 20) return;
      }
    };
    await Promise.all([...relayed.map((s, i) => writer(s, `relayed${i}`)), writer(alone, "alone")]);
    expect(killed).toBe(true);
    await waitFor(() => !isProcessAlive(pid), "the killed server is gone");
    expect(existsSync(socketOf(dir))).toBe(true); // it could not clean up: the next start must

    const next = await session(dir);
    open.push(next);
    const pid2 = serverPid(next);
    pids.add(pid2);
    expect(pid2).not.toBe(pid);
    expect(serverLog(dir)).toMatch(/removing the stale socket/);
    for (const { key, value } of acked)
      expect(await ok(next.client, "memory_get", { key }), key).toMatchObject({
        found: true,
        entry: { value },
      });
    // And it writes: the dead server's writer lock did not block it.
    await ok(next.client, "memory_store", { key: "after", value: "the crash" });
  });
});
