import { indexStatusOperation } from "../../service/operations/index-status.js";
import { bytes, pairs } from "../render/table.js";
import { defineVerb } from "../verb.js";

export default defineVerb({
  name: "index-status",
  description:
    "search index terms and documents, store generation, journal length, last compaction, consistency",
  operation: indexStatusOperation,
  readOnly: true,
  input: () => ({}),
  table: (r) =>
    pairs([
      ["entries", r.entries],
      ["indexed", r.indexed],
      ["terms", r.terms],
      ["generation", r.generation],
      ["journal", `${r.journal.records} records, ${bytes(r.journal.bytes)}`],
      ["last compaction", r.lastCompaction ?? "never"],
      ["consistency", r.summary],
    ]),
});
