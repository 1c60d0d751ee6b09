/** The entries `query` and `list` print: a table, values cut to a line unless --full asks for them whole. */

import { brief } from "../../service/operations/operation.js";
import type { QueryOutput } from "../../service/operations/query.js";
import { table } from "./table.js";

export function resultsTable(
  r: QueryOutput,
  options: { scored: boolean; full: boolean; next: (cursor: string) => string },
): string {
  if (r.results.length === 0) return "No entries matched.";
  const value = (v: unknown) =>
    options.full ? (typeof v === "string" ? v : JSON.stringify(v)) : brief(v, 60);
  // A listing is ordered by time, and its "score" is only that order: show when instead.
  const rows = table(
    ["namespace", "key", options.scored ? "score" : "updated", "value"],
    r.results.map((x) => [
      x.namespace,
      x.key,
      options.scored ? Math.round(x.score * 1000) / 1000 : x.updatedAt,
      value(x.value),
    ]),
  );
  return r.nextCursor ? `${rows}\nmore: ${options.next(r.nextCursor)}` : rows;
}
