/**
 * When an entry stops existing for readers. An entry's own TTL (`expiresAt`) wins over its
 * namespace's `retentionPolicy`; a namespace whose policy is "permanent" (or has none) keeps
 * entries without a TTL forever. Expired entries are invisible at once; cleanup and compaction
 * remove them from disk later.
 */
import { type MemoryConfig, retentionMs } from "./config.js";
import type { Entry } from "./model.js";

/** Epoch ms after which the entry is expired, or undefined when it never expires. */
export function expiryOf(entry: Pick<Entry, "namespace" | "updatedAt" | "expiresAt">, config: MemoryConfig) {
  if (entry.expiresAt) return Date.parse(entry.expiresAt);
  const keep = retentionMs(config, entry.namespace);
  return keep === undefined ? undefined : Date.parse(entry.updatedAt) + keep;
}

export function isExpired(
  entry: Pick<Entry, "namespace" | "updatedAt" | "expiresAt">,
  config: MemoryConfig,
  now = Date.now(),
): boolean {
  const at = expiryOf(entry, config);
  return at !== undefined && at <= now;
}

export function isPermanent(namespace: string, config: MemoryConfig): boolean {
  return config.retentionPolicy[namespace] === "permanent";
}

/** The namespace's policy as configured ("30d", "permanent"), or "none" when it has none. */
export function policyOf(namespace: string, config: MemoryConfig): string {
  return config.retentionPolicy[namespace] ?? "none";
}

/** The config with some namespaces' policies replaced (a batch-cleanup retention file). */
export function withPolicies(config: MemoryConfig, policies: Record<string, string>): MemoryConfig {
  return { ...config, retentionPolicy: { ...config.retentionPolicy, ...policies } };
}
