/** memory_get / `memory-bank get`: one live entry by key, with its effective expiry. */

import type { GetInput, GetOutput } from "../../domain/entry.js";
import { expiryOf } from "../../domain/retention.js";
import type { MemoryBank } from "../bank.js";

export function getEntry(bank: MemoryBank, input: GetInput): GetOutput {
  const entry = bank.get(input.key, input.namespace ?? "default");
  if (!entry) return { found: false };
  const at = expiryOf(entry, bank.retention);
  return { found: true, entry, ...(at !== undefined ? { expiresAt: new Date(at).toISOString() } : {}) };
}
