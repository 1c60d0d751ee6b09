/**
 * Which keys of a namespace hold a given value: what lets memory_store report that a value is
 * already stored under another key instead of silently keeping two. A digest of each live
 * entry's JSON, kept in step with the store by its observer (every change, this process's and
 * every other's) and built on first use, so a process that never stores pays nothing.
 * Values are identical when their JSON is; values under MIN_DUPLICATE_BYTES (flags, counters,
 * "done") repeat by nature and are not reported.
 */
import { createHash } from "node:crypto";
import type { Entry } from "../domain/entry.js";

/** An applied change as the bank's observer hears it (the Backend's Change; only the service's core names the contract). */
type Applied = { kind: "put" | "del"; entry: Entry };

export const MIN_DUPLICATE_BYTES = 16;

/** At most this many other keys are checked and named in memory_store's answer; the rest are counted. */
export const MAX_LISTED_DUPLICATES = 10;

const NONE: ReadonlySet<string> = new Set();

export function valueDigest(value: unknown): string | undefined {
  const json = JSON.stringify(value);
  if (json === undefined || Buffer.byteLength(json) < MIN_DUPLICATE_BYTES) return undefined;
  return createHash("sha256").update(json).digest("base64url");
}

export class DuplicateIndex {
  /** namespace \0 digest -> keys */
  private byDigest: Map<string, Set<string>> | undefined;
  /** namespace \0 key -> digest */
  private readonly digestOf = new Map<string, string>();

  constructor(private readonly entries: () => Iterable<Entry>) {}

  applied(change: Applied): void {
    if (!this.byDigest) return;
    this.remove(change.entry);
    if (change.kind === "put") this.add(change.entry);
  }

  reset(): void {
    this.byDigest = undefined;
    this.digestOf.clear();
  }

  /**
   * Keys of `namespace` whose value's JSON digest is `digest`, oldest first (the caller checks
   * they are live). The set itself, not a copy: a value kept under thousands of keys must not make
   * every store of it pay for thousands.
   */
  keysWith(namespace: string, digest: string): ReadonlySet<string> {
    if (!this.byDigest) {
      this.byDigest = new Map();
      for (const e of this.entries()) this.add(e);
    }
    return this.byDigest.get(`${namespace}\u0000${digest}`) ?? NONE;
  }

  private add(e: Entry): void {
    const digest = valueDigest(e.value);
    if (!digest || !this.byDigest) return;
    const slot = `${e.namespace}\u0000${digest}`;
    let keys = this.byDigest.get(slot);
    if (!keys) {
      keys = new Set();
      this.byDigest.set(slot, keys);
    }
    keys.add(e.key);
    this.digestOf.set(`${e.namespace}\u0000${e.key}`, digest);
  }

  private remove(e: Entry): void {
    const at = `${e.namespace}\u0000${e.key}`;
    const digest = this.digestOf.get(at);
    if (!digest || !this.byDigest) return;
    this.digestOf.delete(at);
    const slot = `${e.namespace}\u0000${digest}`;
    const keys = this.byDigest.get(slot);
    keys?.delete(e.key);
    if (keys?.size === 0) this.byDigest.delete(slot);
  }
}
