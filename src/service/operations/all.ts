/**
 * Every operation on an open bank, by name: how a call that arrives as data (a CLI verb run by
 * the bank server, server/) finds its one definition. The set-up operations (init,
 * index-validate) are not here: they open the store themselves.
 */
import { analyzeOperation } from "./analyze.js";
import { batchCleanupOperation } from "./batch-cleanup.js";
import { batchStoreOperation } from "./batch-store.js";
import { batchStoreFileOperation } from "./batch-store-file.js";
import { cleanupOperation } from "./cleanup.js";
import { concurrentExportOperation } from "./concurrent-export.js";
import { debugOperation } from "./debug.js";
import { deleteOperation } from "./delete.js";
import { exportOperation } from "./export.js";
import { getOperation } from "./get.js";
import { importOperation } from "./import.js";
import { indexStatusOperation } from "./index-status.js";
import type { AnyOperation } from "./operation.js";
import { parallelQueryOperation } from "./parallel-query.js";
import { performanceReportOperation } from "./performance-report.js";
import { queryOperation } from "./query.js";
import { statsOperation } from "./stats.js";
import { storeOperation } from "./store.js";

export const operations: ReadonlyMap<string, AnyOperation> = new Map(
  [
    analyzeOperation,
    batchCleanupOperation,
    batchStoreOperation,
    batchStoreFileOperation,
    cleanupOperation,
    concurrentExportOperation,
    debugOperation,
    deleteOperation,
    exportOperation,
    getOperation,
    importOperation,
    indexStatusOperation,
    parallelQueryOperation,
    performanceReportOperation,
    queryOperation,
    statsOperation,
    storeOperation,
  ].map((op) => [op.name, op as AnyOperation]),
);
