/** Every MCP tool the server offers, in the order tools/list shows them. */
import batchStore from "./batch_store.js";
import type { AnyTool } from "./define.js";
import exportTool from "./export.js";
import memoryQuery from "./memory_query.js";
import memoryStore from "./memory_store.js";
import parallelQuery from "./parallel_query.js";

export const tools: AnyTool[] = [memoryStore, memoryQuery, batchStore, parallelQuery, exportTool];
