/**
 * `index-status` and `index-validate [--repair]`: is the search index in step with the entries,
 * does every journal line carry a valid checksum, is the snapshot whole. Repairs go through the
 * store's own durability methods (recovery, torn-tail cut, compaction) and each is reported.
 */
import { z } from "zod";
import { inspectFiles } from "../../store/json/inspect.js";
import { JsonStore } from "../../store/json/json-store.js";
import type { MemoryBank } from "../bank.js";
import { snapshotTime } from "./stats.js";

export const IndexStatusSchema = z.object({
  entries: z.number().int(),
  indexed: z.number().int().describe("documents in the search index"),
  terms: z.number().int(),
  indexing: z.boolean(),
  generation: z.number().int().describe("snapshot generation (bumped by every compaction)"),
  journal: z.object({ bytes: z.number().int(), records: z.number().int() }),
  lastCompaction: z.string().optional(),
  consistent: z.boolean(),
  summary: z.string(),
});
export type IndexStatus = z.infer<typeof IndexStatusSchema>;

export const CheckSchema = z.object({
  name: z.enum(["snapshot", "journal", "index"]),
  ok: z.boolean(),
  detail: z.string(),
});

export const ValidationSchema = z.object({
  ok: z.boolean().describe("true when no problem remains"),
  repair: z.boolean(),
  checks: z.array(CheckSchema),
  actions: z.array(z.string()).describe("what --repair did"),
});
export type Validation = z.infer<typeof ValidationSchema>;

/** Entries missing from the index, and index documents with no entry behind them. */
export function checkIndex(bank: MemoryBank): { missing: number; extra: number; indexed: number } {
  const index = bank.searchIndex;
  if (!index) return { missing: 0, extra: 0, indexed: 0 };
  let missing = 0;
  for (const e of bank.store.entries()) if (!index.has(e.namespace, e.key)) missing++;
  const extra = Math.max(0, index.size - (bank.store.size - missing));
  return { missing, extra, indexed: index.size };
}

function describeIndex(c: { missing: number; extra: number }, entries: number): string {
  if (c.missing === 0 && c.extra === 0) return `consistent: all ${entries} entries are indexed`;
  return `${c.missing} entries missing from the index, ${c.extra} index documents without an entry`;
}

export async function indexStatus(bank: MemoryBank): Promise<IndexStatus> {
  bank.store.refresh();
  const status = bank.store.status();
  const c = checkIndex(bank);
  const lastCompaction = status.lastCompaction ?? (await snapshotTime(bank.dataPath));
  return {
    entries: bank.store.size,
    indexed: c.indexed,
    terms: bank.searchIndex?.termCount ?? 0,
    indexing: bank.config.indexing,
    generation: status.generation,
    journal: { bytes: status.journalBytes, records: status.journalRecords },
    ...(lastCompaction ? { lastCompaction } : {}),
    consistent: c.missing === 0 && c.extra === 0,
    summary: bank.config.indexing ? describeIndex(c, bank.store.size) : "indexing is off (memory.indexing)",
  };
}

/**
 * Checks the files first without opening the store (opening recovers a bad snapshot by itself),
 * then the index. Without `repair` nothing is changed; `open` gets whether the store may rebuild
 * an unreadable snapshot from the journals alone. Returns the bank it opened, for the caller to close.
 */
export async function validateStore(
  dataPath: string,
  repair: boolean,
  open: (rebuildWithoutBackup: boolean) => Promise<MemoryBank>,
): Promise<{ report: Validation; bank?: MemoryBank }> {
  const before = await inspectFiles(dataPath);
  const actions: string[] = [];
  const checks: Validation["checks"] = [];
  if (!before.snapshot.ok && !repair) {
    checks.push({
      name: "snapshot",
      ok: false,
      detail: `${before.snapshot.error}; --repair rebuilds it from a backup plus the journal`,
    });
    checks.push(journalCheck(before, false));
    checks.push({ name: "index", ok: false, detail: "not checked: the snapshot must be repaired first" });
    return { report: { ok: false, repair, checks, actions } };
  }

  const bank = await open(repair);
  const store = bank.store instanceof JsonStore ? bank.store : undefined;
  if (!repair) store?.keepJournalAtClose();
  for (const p of bank.store.status().problems) {
    if (p.kind === "recovered-snapshot") actions.push(p.detail);
  }
  if (repair && before.journal.incompleteTailBytes > 0 && store) {
    const found = await store.repairTornTail();
    const cut = found.filter((p) => p.kind === "torn-tail");
    if (cut.length) actions.push(...cut.map((p) => p.detail));
    else
      actions.push(
        "the journal's incomplete last line was completed by its writer meanwhile: nothing to cut",
      );
  }
  if (repair && before.journal.badLines.length > 0 && before.snapshot.ok) {
    const r = await bank.store.compact("index-validate --repair");
    actions.push(
      `folded the journal into snapshot generation ${r?.generation ?? "?"}: its ${before.journal.badLines.length} damaged line(s) were never applied; their bytes stay in the archived journal in backups/`,
    );
  }
  let idx = checkIndex(bank);
  if (repair && (idx.missing > 0 || idx.extra > 0)) {
    const was = describeIndex(idx, bank.store.size);
    bank.rebuildIndex();
    idx = checkIndex(bank);
    actions.push(`rebuilt the search index (${was})`);
  }

  const after = repair ? await inspectFiles(dataPath) : before;
  checks.push(
    after.snapshot.ok
      ? {
          name: "snapshot",
          ok: true,
          detail: after.snapshot.exists
            ? `generation ${after.snapshot.generation}, ${after.snapshot.entries} entries, complete`
            : "no snapshot yet (empty store)",
        }
      : { name: "snapshot", ok: false, detail: after.snapshot.error ?? "unreadable" },
  );
  checks.push(journalCheck(after, repair));
  checks.push({
    name: "index",
    ok: !bank.config.indexing || (idx.missing === 0 && idx.extra === 0),
    detail: bank.config.indexing ? describeIndex(idx, bank.store.size) : "indexing is off (memory.indexing)",
  });
  return { report: { ok: checks.every((c) => c.ok), repair, checks, actions }, bank };
}

function journalCheck(
  i: Awaited<ReturnType<typeof inspectFiles>>,
  repaired: boolean,
): Validation["checks"][number] {
  const j = i.journal;
  if (!j.exists)
    return { name: "journal", ok: true, detail: "no journal (nothing written since the last compaction)" };
  const problems: string[] = [];
  if (j.badLines.length) {
    const first = j.badLines[0];
    problems.push(
      `${j.badLines.length} line(s) fail their checksum (first at byte ${first?.offset}: ${first?.reason})`,
    );
  }
  if (j.incompleteTailBytes > 0) {
    problems.push(
      `the last ${j.incompleteTailBytes} bytes are an incomplete line (a torn write, or a write in flight)`,
    );
  }
  if (problems.length === 0)
    return { name: "journal", ok: true, detail: `${j.lines} lines, every checksum valid` };
  return {
    name: "journal",
    ok: false,
    detail: `${problems.join("; ")}${repaired ? "" : "; --repair cuts a torn tail (keeping a copy) and folds damaged lines away"}`,
  };
}
