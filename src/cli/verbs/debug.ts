import { debugOperation } from "../../service/operations/debug.js";
import { processTable } from "../render/processes.js";
import { bytes, pairs } from "../render/table.js";
import { defineVerb } from "../verb.js";

export default defineVerb({
  name: "debug",
  description: "config, files, store state and problems; --concurrent lists the processes using the store",
  operation: debugOperation,
  readOnly: true,
  configure: (c) =>
    c.option("--concurrent", "list live processes and what they are doing, and stale records of dead ones"),
  input: (_, o, g) => ({ concurrent: o.concurrent ?? false, all: g.verbose ?? false }),
  table: (r, { input }) =>
    [
      pairs([
        ["version", `${r.version} (node ${r.node}, pid ${r.pid})`],
        ["project", r.projectDir],
        ["config", r.configFile ?? "defaults (no claude-flow.config.json)"],
        ["snapshot", r.files.snapshot],
        ["journal", `${r.files.journal} (${r.store.journalRecords} records, ${bytes(r.store.journalBytes)})`],
        ["entries", `${r.store.entries} (generation ${r.store.generation})`],
        ["lock", r.store.lockHeld ? "held by a writer right now" : "free"],
        ["problems", r.store.problems.length],
        ["warnings", r.warnings.join("; ") || "none"],
      ]),
      ...r.store.problems.map((p) => `- ${p.at} ${p.kind}: ${p.detail}`),
      ...(input.concurrent ? ["", processTable(r.processes)] : []),
    ].join("\n"),
});
