/**
 * When an entry stops existing for readers. An entry's own TTL (`expiresAt`) wins over its
 * namespace's retention policy; a namespace whose policy is "permanent" (or has none) keeps
 * entries without a TTL forever. Expired entries are invisible at once; cleanup and compaction
 * remove them from disk later.
 *
 * Whose policy: one memory directory can be shared by several projects (a `memory/` symlinked to
 * one place), each with its own `retentionPolicy`. Each project's policy governs the entries it
 * writes: a write stamps the entry with the policy it was written under and the writing
 * project's id (`retention: "30d@1a2b3c4d"`), the way a TTL is stamped as `expiresAt`. A project
 * reads its own entries (and entries without a stamp, written before stamps existed) by its
 * current config, so editing the config still applies to everything it wrote; another project's
 * entries keep the policy stamped on them until they are written again. A retention file given to
 * batch-cleanup explicitly wins over every stamp.
 */
import { parseDuration } from "./duration.js";
import type { Entry } from "./entry.js";

/** Everything that decides when an entry expires, for one project. */
export interface Retention {
  /** memory.retentionPolicy: for the entries this project wrote, and entries without a stamp. */
  policies: Readonly<Record<string, string>>;
  /** This project's id, stamped on the entries it writes (see config/project.ts). */
  project: string;
  /** Policies that win over every stamp (a batch-cleanup retention file given explicitly). */
  overrides?: Readonly<Record<string, string>>;
}

/** A project's rules from its config (memory.retentionPolicy) and its id (config/project.ts). */
export function retentionOf(
  config: { retentionPolicy: Readonly<Record<string, string>> },
  project: string,
): Retention {
  return { policies: config.retentionPolicy, project };
}

type Dated = Pick<Entry, "namespace" | "updatedAt" | "expiresAt" | "retention">;

const STAMP_RE = /^([^@]+)@([0-9a-f]{8})$/;

/** The policy stamped by another project, if the entry carries a well-formed stamp of one. */
function foreignPolicy(stamp: string | undefined, project: string): string | undefined {
  if (stamp === undefined) return undefined;
  const m = STAMP_RE.exec(stamp);
  if (!m?.[1] || m[2] === project) return undefined;
  return m[1];
}

/** The policy ("30d", "permanent", "none") that governs `entry` for this project. */
export function governingPolicy(entry: Pick<Dated, "namespace" | "retention">, rules: Retention): string {
  return (
    own(rules.overrides, entry.namespace) ??
    foreignPolicy(entry.retention, rules.project) ??
    policyOf(entry.namespace, rules)
  );
}

/**
 * The policy a table names for `namespace`, from its own keys only: a namespace called
 * "constructor" or "toString" must not find Object.prototype's function there.
 */
function own(table: Readonly<Record<string, string>> | undefined, namespace: string): string | undefined {
  return table && Object.hasOwn(table, namespace) ? table[namespace] : undefined;
}

function keepMs(policy: string): number | undefined {
  return policy === "permanent" || policy === "none" ? undefined : parseDuration(policy);
}

/** Epoch ms after which the entry is expired, or undefined when it never expires. */
export function expiryOf(entry: Dated, rules: Retention): number | undefined {
  if (entry.expiresAt) return Date.parse(entry.expiresAt);
  const keep = keepMs(governingPolicy(entry, rules));
  return keep === undefined ? undefined : Date.parse(entry.updatedAt) + keep;
}

/**
 * `now` is the store's time (Backend.now()) for what readers see; for what is deleted, the
 * earlier of the store's and this process's clock (see deletionTime).
 */
export function isExpired(entry: Dated, rules: Retention, now: number): boolean {
  const at = expiryOf(entry, rules);
  return at !== undefined && at <= now;
}

/**
 * The time up to which expired entries may be destroyed (cleanup, compaction, pruning): the
 * earlier of the store's clock and this process's, so neither a clock running ahead nor a store
 * clock that cannot be read deletes anything early.
 */
export function deletionTime(storeNow: number): number {
  return Math.min(storeNow, Date.now());
}

/** What a write in `namespace` stamps on its entry: the policy it was written under, and by whom. */
export function stampOf(namespace: string, rules: Retention): string {
  return `${own(rules.policies, namespace) ?? "none"}@${rules.project}`;
}

export function isPermanent(namespace: string, rules: Retention): boolean {
  return policyOf(namespace, rules) === "permanent";
}

/** The namespace's policy for this project ("30d", "permanent"), or "none" when it has none. */
export function policyOf(namespace: string, rules: Retention): string {
  return own(rules.overrides, namespace) ?? own(rules.policies, namespace) ?? "none";
}

/** How long a stamped or configured policy keeps things, in ms (undefined: forever). */
export function policyMs(policy: string): number | undefined {
  return keepMs(policy);
}

/** The rules with some namespaces' policies imposed on every entry (a batch-cleanup retention file). */
export function withPolicies(rules: Retention, policies: Record<string, string>): Retention {
  return { ...rules, overrides: { ...rules.overrides, ...policies } };
}
