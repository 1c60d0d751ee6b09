/**
 * The store's clock: the kernel's time read from a file the process changed, kept as a difference
 * to the local clock. (Processes with a really shifted clock: test/reliability/clock.test.ts.)
 */
import { readdirSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { StoreClock } from "../../../src/store/json/clock.js";
import { JsonStore } from "../../../src/store/json/json-store.js";
import { removeProject, tempProject } from "../../helpers.js";

const DAY = 86_400_000;
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) removeProject(d);
});

function storeDir(): string {
  const dir = tempProject();
  dirs.push(dir);
  return dir;
}

describe("StoreClock", () => {
  it("a probe reads the kernel's time from a temp file it removes again; a right clock is not shifted", () => {
    const dir = storeDir();
    const clock = new StoreClock(path.join(dir, "data.json"));
    expect(clock.probe()).toBe(true);
    expect(clock.skewMs).toBe(0);
    expect(Math.abs(clock.now() - Date.now())).toBeLessThan(5);
    expect(readdirSync(dir)).toEqual([]);
  });

  it("keeps the difference a file's change time shows, beyond the tolerance only", () => {
    const clock = new StoreClock(path.join(storeDir(), "data.json"));
    clock.observe(Date.now() - 300);
    expect(clock.skewMs).toBe(0);
    clock.observe(Date.now() + 40 * DAY);
    expect(clock.skewMs).toBeGreaterThan(40 * DAY - 1000);
    expect(clock.now() - Date.now()).toBeGreaterThan(40 * DAY - 1000);
  });

  it("a change time that disagrees with the last reading is settled by a probe", () => {
    const clock = new StoreClock(path.join(storeDir(), "data.json"));
    clock.probe();
    // A lock that looks 5 s old (held for a long time, say): the probe shows the clocks agree.
    clock.confirm(Date.now() - 5000);
    expect(clock.skewMs).toBe(0);
  });

  it("in a folder it cannot write, the local clock (or the last reading) stays", () => {
    const clock = new StoreClock(path.join(storeDir(), "missing", "data.json"));
    expect(clock.probe()).toBe(false);
    expect(clock.skewMs).toBe(0);
    clock.confirm(Date.now() + 40 * DAY); // nothing to check it against: taken as it is
    expect(clock.skewMs).toBeGreaterThan(40 * DAY - 1000);
  });
});

describe("the JSON store's clock", () => {
  it("is what transactions see as now and what they stamp", async () => {
    const dir = storeDir();
    const store = new JsonStore({ dataPath: path.join(dir, "memory", "data.json"), log: () => {} });
    await store.open();
    const seen = await store.write((tx) => tx.now);
    expect(Math.abs(seen - Date.now())).toBeLessThan(1000);
    expect(Math.abs(store.now() - Date.now())).toBeLessThan(1000);
    await store.close();
  });
});
