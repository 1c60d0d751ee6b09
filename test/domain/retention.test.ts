/**
 * Retention rules: durations, "permanent", an entry's TTL winning over its namespace's policy;
 * expired entries invisible at once, removed by cleanup (per namespace, re-checked at write time)
 * and dropped by compaction.
 */
import { writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { defaultConfig, loadConfig } from "../../src/config/config.js";
import { projectId } from "../../src/config/project.js";
import type { Entry } from "../../src/domain/entry.js";
import {
  expiryOf,
  isExpired,
  isPermanent,
  policyOf,
  retentionOf,
  stampOf,
  withPolicies,
} from "../../src/domain/retention.js";
import { MemoryBank } from "../../src/service/bank.js";
import { cleanup } from "../../src/service/operations/cleanup.js";
import { readRetentionFile } from "../../src/transfer/retention-file.js";
import { removeProject, tempProject } from "../helpers.js";

const DAY = 86_400_000;
const dirs: string[] = [];
const banks: MemoryBank[] = [];
afterEach(async () => {
  for (const b of banks.splice(0)) await b.close().catch(() => {});
  for (const d of dirs.splice(0)) removeProject(d);
});

async function openBank(config?: unknown): Promise<MemoryBank> {
  const dir = tempProject(config);
  dirs.push(dir);
  const bank = await MemoryBank.open(loadConfig({ cwd: dir, env: {} }), { log: () => {} });
  banks.push(bank);
  return bank;
}

function entry(namespace: string, key: string, ageMs: number, expiresAt?: string): Entry {
  const at = new Date(Date.now() - ageMs).toISOString();
  return {
    id: `${namespace}-${key}`,
    key,
    namespace,
    value: `${key} value`,
    type: "semantic",
    tags: [],
    metadata: {},
    createdAt: at,
    updatedAt: at,
    ...(expiresAt ? { expiresAt } : {}),
    version: 1,
  };
}

/** Writes entries as they would be after living for a while: the clock cannot be wound back. */
async function plant(bank: MemoryBank, entries: Entry[]): Promise<void> {
  await bank.transact((tx) => {
    for (const e of entries) tx.put(e);
  });
}

describe("rules", () => {
  const config = retentionOf(defaultConfig(), "0badf00d");

  it("applies namespace policies: 30d sessions, permanent agents, no policy means forever", () => {
    const now = Date.now();
    expect(isExpired(entry("sessions", "a", 29 * DAY), config, now)).toBe(false);
    expect(isExpired(entry("sessions", "b", 31 * DAY), config, now)).toBe(true);
    expect(isExpired(entry("agents", "c", 3650 * DAY), config, now)).toBe(false);
    expect(isExpired(entry("default", "d", 3650 * DAY), config, now)).toBe(false);
    expect(isPermanent("agents", config)).toBe(true);
    expect(expiryOf(entry("tasks", "e", 0), config)).toBeCloseTo(now + 90 * DAY, -4);
  });

  it("an entry's TTL wins over its namespace's policy, in both directions", () => {
    const now = Date.now();
    const later = new Date(now + DAY).toISOString();
    const earlier = new Date(now - 1000).toISOString();
    // Older than the 30d policy, but its own TTL says it lives one more day.
    expect(isExpired(entry("sessions", "long", 40 * DAY, later), config, now)).toBe(false);
    // In a permanent namespace, its own TTL still ends it.
    expect(isExpired(entry("agents", "short", 0, earlier), config, now)).toBe(true);
  });

  it("accepts 12h style durations and refuses others in a retention file", async () => {
    const dir = tempProject();
    dirs.push(dir);
    const file = path.join(dir, "r.json");
    writeFileSync(file, JSON.stringify({ sessions: "12h", tasks: "permanent" }));
    const policies = await readRetentionFile(file);
    const strict = withPolicies(config, policies);
    expect(isExpired(entry("sessions", "x", 13 * 3_600_000), strict, Date.now())).toBe(true);
    expect(isExpired(entry("sessions", "x", 11 * 3_600_000), strict, Date.now())).toBe(false);
    expect(isPermanent("tasks", strict)).toBe(true);
    writeFileSync(file, JSON.stringify({ sessions: "a while" }));
    await expect(readRetentionFile(file)).rejects.toThrow(/retention 'a while' is invalid/);
    writeFileSync(file, "{");
    await expect(readRetentionFile(file)).rejects.toThrow(/is not valid JSON/);
  });
});

describe("whose policy, when projects share one store", () => {
  const mine = retentionOf({ ...defaultConfig(), retentionPolicy: { sessions: "7d" } }, "aaaaaaaa");
  const stamped = (stamp: string | undefined, ageDays: number) => ({
    ...entry("sessions", "s", ageDays * DAY),
    ...(stamp ? { retention: stamp } : {}),
  });
  const now = Date.now();

  it("a write stamps the policy it was written under and the writing project", () => {
    expect(stampOf("sessions", mine)).toBe("7d@aaaaaaaa");
    expect(stampOf("default", mine)).toBe("none@aaaaaaaa");
    expect(projectId("/some/where")).toMatch(/^[0-9a-f]{8}$/);
  });

  it("another project's entries keep their stamped policy; its own and unstamped ones follow the config", () => {
    // Written by a project that keeps sessions 365 days: 30 days old is alive here too.
    expect(isExpired(stamped("365d@bbbbbbbb", 30), mine, now)).toBe(false);
    expect(isExpired(stamped("permanent@bbbbbbbb", 3000), mine, now)).toBe(false);
    expect(isExpired(stamped("none@bbbbbbbb", 3000), mine, now)).toBe(false);
    // This project's own entries follow its current config, whatever they were stamped with.
    expect(isExpired(stamped("365d@aaaaaaaa", 30), mine, now)).toBe(true);
    // Entries written before stamps existed (or with a stamp that does not parse): the config.
    expect(isExpired(stamped(undefined, 30), mine, now)).toBe(true);
    expect(isExpired(stamped("garbage", 30), mine, now)).toBe(true);
  });

  it("a retention file given to batch-cleanup wins over every stamp", () => {
    const strict = withPolicies(mine, { sessions: "1d" });
    expect(isExpired(stamped("365d@bbbbbbbb", 2), strict, now)).toBe(true);
    expect(isPermanent("sessions", withPolicies(mine, { sessions: "permanent" }))).toBe(true);
  });
});

describe("in the store", () => {
  it("hides expired entries at once and cleanup removes exactly them, leaving permanent namespaces alone", async () => {
    const bank = await openBank();
    await plant(bank, [
      entry("sessions", "old", 31 * DAY),
      entry("sessions", "recent", 1 * DAY),
      entry("sessions", "kept-by-ttl", 31 * DAY, new Date(Date.now() + DAY).toISOString()),
      entry("tasks", "old-task", 91 * DAY),
      entry("agents", "ancient", 5000 * DAY),
      entry("agents", "ttl-over", 0, new Date(Date.now() - 1).toISOString()),
    ]);
    expect(bank.get("old", "sessions")).toBeUndefined();
    expect(bank.get("kept-by-ttl", "sessions")).toBeDefined();
    expect(
      bank
        .querySync({ namespace: "sessions" })
        .results.map((r) => r.key)
        .sort(),
    ).toEqual(["kept-by-ttl", "recent"]);
    expect(bank.querySync({ query: "old value" }).results.map((r) => r.key)).not.toContain("old");

    const dry = await cleanup(bank, { dryRun: true });
    expect(dry.removed).toBe(2);
    expect(bank.read().stored("sessions", "old")).toBeDefined();

    const r = await cleanup(bank, {});
    expect(r.removed).toBe(2);
    expect(Object.fromEntries(r.namespaces.map((n) => [n.namespace, n.keys]))).toMatchObject({
      sessions: ["old"],
      tasks: ["old-task"],
    });
    expect(r.skipped).toEqual([{ namespace: "agents", reason: "retention is permanent" }]);
    expect(bank.read().stored("sessions", "old")).toBeUndefined();
    expect(bank.read().stored("agents", "ancient")).toBeDefined();
    // Permanent namespaces are not touched even for a TTL'd entry; it stays invisible until compaction.
    expect(bank.read().stored("agents", "ttl-over")).toBeDefined();
    expect(bank.get("ttl-over", "agents")).toBeUndefined();
  });

  it("compaction drops expired entries from disk", async () => {
    const bank = await openBank();
    await plant(bank, [entry("sessions", "old", 31 * DAY), entry("sessions", "new", 0)]);
    await bank.compact("test");
    expect(bank.read().stored("sessions", "old")).toBeUndefined();
    expect(bank.read().stored("sessions", "new")).toBeDefined();
  });

  it("cleans namespaces in parallel and never removes an entry refreshed after it was chosen", async () => {
    const bank = await openBank({ memory: { retentionPolicy: { a: "1d", b: "1d", c: "1d" } } });
    const old: Entry[] = [];
    for (const ns of ["a", "b", "c"]) for (let i = 0; i < 300; i++) old.push(entry(ns, `k${i}`, 2 * DAY));
    await plant(bank, old);
    // Refresh one between the scan and the write: the per-transaction re-check must keep it.
    const transact = bank.transact.bind(bank);
    let refreshed = false;
    bank.transact = ((fn, opts) => {
      if (!refreshed) {
        refreshed = true;
        return transact((tx) => tx.put({ ...entry("a", "k0", 0), version: 2 })).then(() =>
          transact(fn, opts),
        );
      }
      return transact(fn, opts);
    }) as typeof bank.transact;
    const r = await cleanup(bank, { namespaces: ["a", "b", "c"] });
    expect(r.removed).toBe(899);
    expect(bank.get("k0", "a")?.version).toBe(2);
  });

  it("refuses unknown namespaces by name", async () => {
    const bank = await openBank();
    await expect(cleanup(bank, { namespaces: ["nope"] })).rejects.toThrow(/unknown namespace 'nope'/);
    await expect(cleanup(bank, {}, { policies: { nope: "1d" } })).rejects.toThrow(/unknown namespace 'nope'/);
  });
});

describe("a namespace named like an Object property", () => {
  it("has no policy of its own: constructor, toString and __proto__ keep their entries as any unnamed namespace", () => {
    const rules = {
      ...retentionOf({ retentionPolicy: { default: "30d" } }, "1a2b3c4d"),
      overrides: { x: "1d" },
    };
    for (const ns of ["constructor", "toString", "__proto__", "hasOwnProperty"]) {
      expect(policyOf(ns, rules)).toBe("none");
      expect(stampOf(ns, rules)).toBe("none@1a2b3c4d");
      const e = entry(ns, "k", 400 * DAY);
      expect(expiryOf(e, rules)).toBeUndefined();
      expect(isExpired(e, rules, Date.now())).toBe(false);
    }
  });
});
