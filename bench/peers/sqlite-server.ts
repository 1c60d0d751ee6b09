#!/usr/bin/env node
/**
 * The benchmark's baseline: a plain MCP stdio server over SQLite FTS5 (better-sqlite3), offering
 * this project's tool names and argument shapes for what the benchmark calls: memory_store,
 * memory_query (ranked text, exact key, key prefix), memory_get, batch_store, memory_delete. Its
 * data is ./memory/sqlite-peer.db in the working directory; every agent session runs its own
 * process on that one file. The argument and output shapes are this project's own zod shapes (the
 * fields the peer supports), so both servers validate the same inputs and send the same outputs.
 *
 *   node dist/bench/peers/sqlite-server.js        (cwd = the project directory)
 */
import path from "node:path";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import { z } from "zod";
import { ttlToMs } from "../../src/domain/duration.js";
import type { MemoryType } from "../../src/domain/entry.js";
import { formatIssues } from "../../src/domain/input.js";
import {
  BatchStoreInputSchema,
  BatchStoreOutputSchema,
  type ItemError,
} from "../../src/service/operations/batch-store.js";
import { DeleteInputSchema, DeleteOutputSchema } from "../../src/service/operations/delete.js";
import { GetInputSchema, GetOutputSchema } from "../../src/service/operations/get.js";
import { MAX_LISTED_KEYS } from "../../src/service/operations/operation.js";
import { QueryInputSchema, QueryOutputSchema } from "../../src/service/operations/query.js";
import { StoreInputSchema, StoreOutputSchema } from "../../src/service/operations/store.js";
import { PEER_DB, type PeerStoreInput, SqliteStore } from "./sqlite-store.js";

const StoreShape = {
  key: StoreInputSchema.shape.key,
  value: StoreInputSchema.shape.value,
  namespace: StoreInputSchema.shape.namespace,
  type: StoreInputSchema.shape.type,
  tags: StoreInputSchema.shape.tags,
  metadata: StoreInputSchema.shape.metadata,
  ttl: StoreInputSchema.shape.ttl,
};
const StoreSchema = z.object(StoreShape);

const QueryShape = {
  query: QueryInputSchema.shape.query,
  key: QueryInputSchema.shape.key,
  keyPrefix: QueryInputSchema.shape.keyPrefix,
  namespace: QueryInputSchema.shape.namespace,
  limit: QueryInputSchema.shape.limit,
};

const BatchShape = {
  entries: BatchStoreInputSchema.shape.entries,
  namespace: BatchStoreInputSchema.shape.namespace,
};

const DeleteShape = {
  key: DeleteInputSchema.shape.key,
  keyPrefix: DeleteInputSchema.shape.keyPrefix,
  namespace: DeleteInputSchema.shape.namespace,
  dryRun: DeleteInputSchema.shape.dryRun,
};

function toStoreInput(i: z.infer<typeof StoreSchema>, namespace?: string): PeerStoreInput {
  return {
    key: i.key,
    value: i.value,
    ...((i.namespace ?? namespace) ? { namespace: i.namespace ?? namespace } : {}),
    ...(i.type ? { type: i.type } : {}),
    ...(i.tags ? { tags: i.tags } : {}),
    ...(i.metadata ? { metadata: i.metadata } : {}),
    ...(i.ttl !== undefined ? { ttlMs: ttlToMs(i.ttl) } : {}),
  };
}

/** structuredContent plus a short text rendering, as every tool of this project answers. */
function answer<T extends Record<string, unknown>>(output: T, text: string) {
  return { content: [{ type: "text" as const, text }], structuredContent: output };
}

function buildPeerServer(store: SqliteStore): McpServer {
  const server = new McpServer({ name: "sqlite-fts5-memory", version: "1.0.0" });

  server.registerTool(
    "memory_store",
    {
      description: "Store or update one memory under a key in a namespace.",
      inputSchema: StoreShape,
      outputSchema: StoreOutputSchema,
    },
    (input) => {
      const { entry, created } = store.store(toStoreInput(input));
      const ref = {
        id: entry.id,
        key: entry.key,
        namespace: entry.namespace,
        version: entry.version,
        createdAt: entry.createdAt,
        updatedAt: entry.updatedAt,
        ...(entry.expiresAt ? { expiresAt: entry.expiresAt } : {}),
      };
      return answer(
        { entry: ref, created },
        `${created ? "Stored" : "Updated"} '${entry.key}' (version ${entry.version}).`,
      );
    },
  );

  server.registerTool(
    "memory_query",
    {
      description:
        "Find memories: `query` is a ranked (bm25) full-text search over keys, values and tags; `key` an exact lookup; `keyPrefix` lists keys by prefix.",
      inputSchema: QueryShape,
      outputSchema: QueryOutputSchema,
    },
    (input) => {
      const results = store.query(input).map((r) => ({ ...r, type: r.type as MemoryType }));
      return answer(
        { results },
        results.length === 0
          ? "No memories matched."
          : results.map((r) => `- [${r.namespace}] ${r.key} (score ${r.score.toFixed(3)})`).join("\n"),
      );
    },
  );

  server.registerTool(
    "memory_get",
    {
      description: "Read the full entry stored under a key (found: false when there is none).",
      inputSchema: GetInputSchema,
      outputSchema: GetOutputSchema,
    },
    (input) => {
      const entry = store.get(input.key, input.namespace);
      if (!entry) return answer({ found: false }, "Not found.");
      return answer(
        {
          found: true,
          entry: { ...entry, type: entry.type as MemoryType },
          ...(entry.expiresAt ? { expiresAt: entry.expiresAt } : {}),
        },
        `[${entry.namespace}] ${entry.key} (version ${entry.version}): ${JSON.stringify(entry.value).slice(0, 2000)}`,
      );
    },
  );

  server.registerTool(
    "batch_store",
    {
      description:
        "Store many entries in one transaction. A bad entry is reported by index and the rest are stored.",
      inputSchema: BatchShape,
      outputSchema: BatchStoreOutputSchema,
    },
    (input) => {
      const errors: ItemError[] = [];
      const good: PeerStoreInput[] = [];
      input.entries.forEach((raw, index) => {
        const r = StoreSchema.safeParse(raw);
        if (r.success) good.push(toStoreInput(r.data, input.namespace));
        else
          errors.push({
            index,
            ...(typeof raw.key === "string" ? { key: raw.key } : {}),
            message: formatIssues(r.error, `entries.${index}`),
          });
      });
      const done = good.length > 0 ? store.storeMany(good) : [];
      const stored = done.filter((d) => d.created).length;
      const output = { stored, updated: done.length - stored, skipped: 0, failed: errors.length, errors };
      return answer(
        output,
        `Stored ${stored} new, updated ${output.updated}, failed ${errors.length}.${errors
          .slice(0, 20)
          .map((e) => `\n- entry ${e.index}: ${e.message}`)
          .join("")}`,
      );
    },
  );

  server.registerTool(
    "memory_delete",
    {
      description: "Delete one key, or every key with a prefix, in one namespace (default 'default').",
      inputSchema: DeleteShape,
      outputSchema: DeleteOutputSchema,
    },
    (input) => {
      if ((input.key === undefined) === (input.keyPrefix === undefined))
        throw new Error(
          "memory_delete needs exactly one of key (one entry) or keyPrefix (every key starting with it)",
        );
      const keys = store.delete(input);
      const namespace = input.namespace ?? "default";
      const dryRun = input.dryRun ?? false;
      return answer(
        {
          deleted: keys.length,
          keys: keys.slice(0, MAX_LISTED_KEYS),
          truncated: keys.length > MAX_LISTED_KEYS,
          namespace,
          dryRun,
        },
        `${dryRun ? "Would delete" : "Deleted"} ${keys.length} from '${namespace}'.`,
      );
    },
  );

  return server;
}

async function main(): Promise<void> {
  const store = SqliteStore.open(path.resolve(PEER_DB));
  const server = buildPeerServer(store);
  const transport = new StdioServerTransport();
  // The client closing stdin ends the session: close the database (checkpointing the WAL) and exit.
  process.stdin.on("end", () => {
    void server.close().finally(() => {
      store.close();
      process.exit(0);
    });
  });
  await server.connect(transport);
}

await main();
