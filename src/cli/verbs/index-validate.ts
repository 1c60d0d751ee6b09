import { indexValidateOperation } from "../../service/operations/index-validate.js";
import { table } from "../render/table.js";
import { defineSetupVerb } from "../verb.js";

export default defineSetupVerb({
  name: "index-validate",
  description: "check every journal checksum, the snapshot and the index; --repair fixes what it finds",
  setup: indexValidateOperation,
  configure: (c) =>
    c.option(
      "--repair",
      "rebuild the index, cut a torn journal tail (keeping a copy), recover a corrupt snapshot",
    ),
  input: (_, o) => ({ repair: o.repair ?? false }),
  table: (r) =>
    [
      table(
        ["check", "ok", "detail"],
        r.checks.map((c) => [c.name, c.ok ? "yes" : "NO", c.detail]),
      ),
      ...(r.actions.length ? ["", "Repairs:", ...r.actions.map((a) => `- ${a}`)] : []),
    ].join("\n"),
  failure: (r) =>
    r.ok
      ? undefined
      : `${r.checks.filter((c) => !c.ok).length} check(s) failed${r.repair ? " after repair" : ": run 'memory-bank index-validate --repair'"}`,
});
