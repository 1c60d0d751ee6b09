/**
 * memory_delete / `memory-bank delete`: removes live entries of one namespace chosen by key, key
 * prefix and/or tags. Matches are re-checked inside the write transaction, so an entry another
 * process changed or removed in between is neither resurrected nor double-counted.
 */

import { type DeleteInput, type DeleteOutput, type Entry, MAX_LISTED_KEYS } from "../../domain/entry.js";
import { MemoryError } from "../../domain/errors.js";
import { isExpired } from "../../domain/retention.js";
import type { MemoryBank } from "../bank.js";

export async function deleteEntries(bank: MemoryBank, input: DeleteInput): Promise<DeleteOutput> {
  if (input.key === undefined && input.keyPrefix === undefined && !input.tags?.length) {
    throw new MemoryError(
      "INVALID_INPUT",
      "say what to delete: give key (one entry), keyPrefix (e.g. 'task/') and/or tags (entries carrying all of them)",
    );
  }
  if (input.key !== undefined && (input.keyPrefix !== undefined || input.tags?.length)) {
    throw new MemoryError("INVALID_INPUT", "give either key, or keyPrefix and/or tags, not both");
  }
  const namespace = input.namespace ?? "default";
  const dryRun = input.dryRun ?? false;
  bank.store.refresh();
  const now = bank.store.now();
  const matches = (e: Entry) =>
    !isExpired(e, bank.retention, now) &&
    (input.key === undefined || e.key === input.key) &&
    (input.keyPrefix === undefined || e.key.startsWith(input.keyPrefix)) &&
    (!input.tags?.length || input.tags.every((t) => e.tags.includes(t)));

  let candidates: string[];
  if (input.key !== undefined) {
    const e = bank.store.get(namespace, input.key);
    candidates = e && matches(e) ? [e.key] : [];
  } else {
    candidates = [...(bank.store.namespace(namespace)?.values() ?? [])].filter(matches).map((e) => e.key);
  }

  let keys = candidates;
  if (!dryRun && candidates.length > 0) {
    keys = [];
    // Chunked so a huge delete never holds the lock for long; each chunk is one transaction.
    const chunk = bank.config.performance.batchWriteSize;
    for (let i = 0; i < candidates.length; i += chunk) {
      const part = candidates.slice(i, i + chunk);
      const done = await bank.store.write((tx) => {
        const gone: string[] = [];
        for (const key of part) {
          const e = tx.get(namespace, key);
          if (!e || !matches(e)) continue;
          tx.del(namespace, key);
          gone.push(key);
        }
        return gone;
      });
      keys.push(...done);
    }
  }
  keys.sort();
  return {
    deleted: keys.length,
    keys: keys.slice(0, MAX_LISTED_KEYS),
    truncated: keys.length > MAX_LISTED_KEYS,
    namespace,
    dryRun,
  };
}
