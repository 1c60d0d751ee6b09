/**
 * Shared pieces of the reliability suites: a seeded random generator (every run is reproducible
 * from the seed printed in the test name), store configs that force compactions, and helpers that
 * read a whole store back through a real server.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { call, textOf } from "../helpers.js";

/** `STRESS=1 npm test` runs the long versions; CI runs the bounded ones. */
export const STRESS = process.env.STRESS === "1";

/** Seed of every randomized suite; override with SEED=<n> to replay a failing run. */
export const SEED = Number(process.env.SEED ?? 20260731);

export interface Rng {
  (): number;
  int(n: number): number;
  pick<T>(items: readonly T[]): T;
}

/** mulberry32: tiny, fast and good enough to drive test schedules. */
export function rng(seed: number): Rng {
  let a = seed >>> 0;
  const next = (() => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }) as Rng;
  next.int = (n: number) => Math.floor(next() * n);
  next.pick = <T>(items: readonly T[]) => items[next.int(items.length)] as T;
  return next;
}

/** A config whose store compacts (and so writes backups) every few KiB of journal. */
export function smallStoreConfig(extra: Record<string, unknown> = {}): { memory: Record<string, unknown> } {
  return {
    memory: {
      store: { compactAfterBytes: 4096, backupsKept: 3, lockStaleMs: 5000 },
      ...extra,
    },
  };
}

export interface StoredEntry {
  key: string;
  namespace: string;
  value: unknown;
  version: number;
  tags: string[];
}

/** Every entry of the store, read through a server's export tool (the file lands inside `dir`). */
export async function exportAll(
  client: Client,
  dir: string,
  name = "all",
): Promise<Map<string, StoredEntry>> {
  const file = `memory/exports/${name}-${Date.now()}-${Math.random().toString(36).slice(2)}.jsonl`;
  const r = await call(client, "export", { path: file, format: "jsonl", includeExpired: true });
  if (r.isError) throw new Error(`export failed: ${textOf(r)}`);
  const text = readFileSync(path.join(dir, file), "utf8");
  const out = new Map<string, StoredEntry>();
  for (const line of text.split("\n")) {
    if (!line) continue;
    const e = JSON.parse(line) as StoredEntry;
    out.set(`${e.namespace}/${e.key}`, e);
  }
  return out;
}

/** The [CODE] a tool error ends with, or undefined for a successful result. */
export function errorCode(r: { isError?: boolean; content: unknown }): string | undefined {
  if (!r.isError) return undefined;
  const text = textOf(r as Parameters<typeof textOf>[0]);
  return /\[([A-Z_]+)\]\s*$/.exec(text)?.[1] ?? "UNTAGGED";
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
