/**
 * `memory-bank index-validate [--repair]`: does every journal line carry a valid checksum, is the
 * snapshot whole, is the search index in step with the entries. The stored data is checked
 * before the store is opened (opening recovers a bad snapshot by itself); without `repair`
 * nothing is changed. Repairs go through the store's own durability methods (recovery, torn-tail
 * cut, compaction), and each is reported.
 */
import { z } from "zod";
import type { StorageInspection } from "../../store/backend.js";
import { MemoryBank } from "../bank.js";
import { checkIndex, describeIndex } from "./index-status.js";
import { defineSetupOperation } from "./operation.js";

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

export const indexValidateOperation = defineSetupOperation({
  name: "index-validate",
  input: z.object({ repair: z.boolean().optional().describe("Fix what the checks find.") }),
  output: ValidationSchema,
  setup: async (input, ctx) => {
    const repair = input.repair ?? false;
    const inspect = () => MemoryBank.inspectStorage(ctx.config());
    const before = await inspect();
    const actions: string[] = [];
    const checks: Validation["checks"] = [];
    if (before && !before.snapshot.ok && !repair) {
      checks.push({
        name: "snapshot",
        ok: false,
        detail: `${before.snapshot.error}; --repair rebuilds it from a backup plus the journal`,
      });
      checks.push(journalCheck(before, false));
      checks.push({ name: "index", ok: false, detail: "not checked: the snapshot must be repaired first" });
      return { ok: false, repair, checks, actions };
    }

    const bank = await ctx.open({ rebuildWithoutBackup: repair });
    if (!repair) bank.maintenance?.keepAsIsAtClose();
    for (const p of bank.status().problems) {
      if (p.kind === "recovered-snapshot") actions.push(p.detail);
    }
    const maintenance = bank.maintenance;
    if (repair && before && before.journal.incompleteTailBytes > 0 && maintenance) {
      const found = await maintenance.repairTornTail();
      const cut = found.filter((p) => p.kind === "torn-tail");
      if (cut.length) actions.push(...cut.map((p) => p.detail));
      else
        actions.push(
          "the journal's incomplete last line was completed by its writer meanwhile: nothing to cut",
        );
    }
    if (repair && before && before.journal.badLines.length > 0 && before.snapshot.ok) {
      const r = await bank.compact("index-validate --repair");
      actions.push(
        `folded the journal into snapshot generation ${r?.generation ?? "?"}: its ${before.journal.badLines.length} damaged line(s) were never applied; their bytes stay in the archived journal in backups/`,
      );
    }
    let idx = checkIndex(bank);
    const entries = () => bank.read().size;
    if (repair && (idx.missing > 0 || idx.extra > 0)) {
      const was = describeIndex(idx, entries());
      bank.rebuildIndex();
      idx = checkIndex(bank);
      actions.push(`rebuilt the search index (${was})`);
    }

    const after = repair ? await inspect() : before;
    if (after) {
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
    }
    checks.push({
      name: "index",
      ok: !bank.config.indexing || (idx.missing === 0 && idx.extra === 0),
      detail: bank.config.indexing ? describeIndex(idx, entries()) : "indexing is off (memory.indexing)",
    });
    return { ok: checks.every((c) => c.ok), repair, checks, actions };
  },
  render: (r) =>
    [
      `${r.ok ? "OK" : "PROBLEMS FOUND"}${r.repair ? " (after repair)" : ""}:`,
      ...r.checks.map((c) => `- ${c.name}: ${c.ok ? "ok" : "NO"}: ${c.detail}`),
      ...(r.actions.length ? ["Repairs:", ...r.actions.map((a) => `- ${a}`)] : []),
    ].join("\n"),
});

function journalCheck(i: StorageInspection, repaired: boolean): Validation["checks"][number] {
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
