/**
 * The operations the web page may call, by name: the same definitions the MCP tools and the CLI
 * verbs use (service/operations/), so the page has no rule of its own. Anything not listed here
 * (batch cleanup, index repair, init) stays with the CLI.
 */

import { debugOperation } from "../service/operations/debug.js";
import { deleteOperation } from "../service/operations/delete.js";
import { exportOperation } from "../service/operations/export.js";
import { getOperation } from "../service/operations/get.js";
import { growthOperation } from "../service/operations/growth.js";
import { importOperation } from "../service/operations/import.js";
import type { AnyOperation } from "../service/operations/operation.js";
import { performanceReportOperation } from "../service/operations/performance-report.js";
import { queryOperation } from "../service/operations/query.js";
import { statsOperation } from "../service/operations/stats.js";
import { storeOperation } from "../service/operations/store.js";

export const PAGE_OPERATIONS: ReadonlyMap<string, AnyOperation> = new Map(
  [
    statsOperation,
    queryOperation,
    getOperation,
    storeOperation,
    deleteOperation,
    exportOperation,
    importOperation,
    debugOperation,
    performanceReportOperation,
    growthOperation,
  ].map((op) => [op.name, op as AnyOperation]),
);

/** The HTTP status of a failed call, by its error code; the body carries the message and the code. */
export function statusOf(code: string): number {
  switch (code) {
    case "INVALID_INPUT":
    case "PATH_OUTSIDE_PROJECT":
    case "CONFIG_INVALID":
      return 400;
    case "NOT_FOUND":
      return 404;
    case "VERSION_CONFLICT":
    case "ALREADY_EXISTS":
      return 409;
    case "LIMIT_EXCEEDED":
      return 413;
    case "LOCK_BUSY":
    case "UNAVAILABLE":
      return 503;
    default:
      return 500;
  }
}
