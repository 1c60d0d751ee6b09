/** Every MCP tool the server offers, in the order tools/list shows them. */

import type { AnyTool } from "../tool.js";
import batchStore from "./batch_store.js";
import exportTool from "./export.js";
import importTool from "./import.js";
import memoryCleanup from "./memory_cleanup.js";
import memoryDelete from "./memory_delete.js";
import memoryGet from "./memory_get.js";
import memoryQuery from "./memory_query.js";
import memoryStats from "./memory_stats.js";
import memoryStore from "./memory_store.js";
import parallelQuery from "./parallel_query.js";

export const tools: AnyTool[] = [
  memoryStore,
  memoryQuery,
  memoryGet,
  memoryDelete,
  batchStore,
  parallelQuery,
  exportTool,
  importTool,
  memoryStats,
  memoryCleanup,
];
