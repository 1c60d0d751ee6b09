/**
 * The writer lock is taken from its holder only when the holder is provably gone, and a holder
 * only ever removes its own lock.
 */
import { lutimesSync, mkdirSync, readlinkSync, symlinkSync, unlinkSync } from "node:fs";
import { hostname } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { acquireLock, lockHolder, parseOwner } from "../../../src/store/json/lock.js";
import { lockHolderProcess as holder, removeDir, tempDir } from "./fixtures.js";

let dirs: string[] = [];
afterEach(() => {
  for (const d of dirs) removeDir(d);
  dirs = [];
});

function dataFile(): string {
  const dir = tempDir();
  dirs.push(dir);
  mkdirSync(path.join(dir, "memory"));
  return path.join(dir, "memory", "claude-flow-data.json");
}

const hourAgo = () => new Date(Date.now() - 3_600_000);

describe("the store lock", () => {
  it("release removes only the holder's own lock, never one another process holds now", async () => {
    const file = dataFile();
    const logs: string[] = [];
    const lock = await acquireLock(file, { staleMs: 5000, log: (m) => logs.push(m) });
    expect(lock.stillHeld()).toBe(true);
    // Another process took it over meanwhile (as after a stale takeover across machines).
    unlinkSync(`${file}.lock`);
    symlinkSync("memory-bank-lock:2:1:-:-:abcdef:another-machine", `${file}.lock`);
    expect(lock.stillHeld()).toBe(false);
    await lock.release();
    expect(readlinkSync(`${file}.lock`)).toBe("memory-bank-lock:2:1:-:-:abcdef:another-machine");
    expect(logs.join("\n")).toMatch(/no longer this process's .* left alone/);
  });

  it("a stopped holder on this machine keeps its lock however old it looks; the waiter says who to resume", async () => {
    const file = dataFile();
    const child = await holder(file);
    try {
      process.kill(child.pid as number, "SIGSTOP");
      lutimesSync(`${file}.lock`, hourAgo(), hourAgo());
      const error = await acquireLock(file, { staleMs: 5000, waitMs: 1500 }).then(
        () => undefined,
        (e: Error) => e,
      );
      expect(error?.message).toMatch(
        new RegExp(
          `locked by process ${child.pid}, which is stopped \\(resume it with 'kill -CONT ${child.pid}'`,
        ),
      );
      expect(lockHolder(file)?.pid).toBe(child.pid);
    } finally {
      process.kill(child.pid as number, "SIGCONT");
      child.kill("SIGKILL");
    }
  }, 30_000);

  it("a holder killed on this machine: its lock is taken over at once", async () => {
    const file = dataFile();
    const child = await holder(file);
    child.kill("SIGKILL");
    await new Promise((r) => child.once("exit", r));
    const started = Date.now();
    const lock = await acquireLock(file, { staleMs: 60_000 });
    expect(Date.now() - started).toBeLessThan(30_000); // not after staleMs: at once
    expect(lock.stillHeld()).toBe(true);
    await lock.release();
  }, 30_000);

  it("a lock naming a live pid that belongs to a later process (pid reused) is taken over", async () => {
    const file = dataFile();
    // Our own parent runs, but it did not start at tick 1: the lock is from an earlier process.
    const text = `memory-bank-lock:2:${process.ppid}:1:-:0123456789:${hostname()}`;
    symlinkSync(text, `${file}.lock`);
    const lock = await acquireLock(file, { staleMs: 60_000, waitMs: 2000 });
    expect(lock.stillHeld()).toBe(true);
    await lock.release();
  });

  it("a lock from another machine is taken over only once not refreshed for staleMs", async () => {
    const file = dataFile();
    symlinkSync("memory-bank-lock:2:4242:77:ffffffff:0123456789:another-machine", `${file}.lock`);
    await expect(acquireLock(file, { staleMs: 5000, waitMs: 800 })).rejects.toThrow(/LOCK_BUSY|locked/);
    lutimesSync(`${file}.lock`, hourAgo(), hourAgo());
    const lock = await acquireLock(file, { staleMs: 5000, waitMs: 2000 });
    expect(lock.stillHeld()).toBe(true);
    await lock.release();
  });

  it("reads the owner records of both lock layouts", () => {
    expect(parseOwner("memory-bank-lock:1:another-machine:abc123")).toEqual({
      pid: 1,
      host: "another-machine",
    });
    expect(parseOwner("memory-bank-lock:2:12:345:0a1b2c3d:ff00ff00ff:host:with:colons")).toEqual({
      pid: 12,
      host: "host:with:colons",
      boot: "0a1b2c3d",
      start: "345",
    });
  });
});
