/**
 * Entries and namespaces as MCP resources (service/resources.ts says what they are): two
 * resource templates with completion of their namespace and key, paged resources/list, and
 * resources/subscribe on an entry or a namespace. A subscriber hears
 * notifications/resources/updated when any process changes what it subscribed to, and a
 * session that has listed or subscribed hears notifications/resources/list_changed when entries
 * appear or go: the bank's change feed (MemoryBank.onChange) follows other processes' commits
 * as they happen, so neither costs a polling loop.
 */
import { type McpServer, ResourceTemplate } from "@modelcontextprotocol/sdk/server/mcp.js";
import {
  ErrorCode,
  ListResourcesRequestSchema,
  McpError,
  type ReadResourceResult,
  SubscribeRequestSchema,
  UnsubscribeRequestSchema,
} from "@modelcontextprotocol/sdk/types.js";
import { MemoryError } from "../domain/errors.js";
import type { BankChange, MemoryBank } from "../service/bank.js";
import {
  completeKey,
  completeNamespace,
  ENTRY_TEMPLATE,
  entryUri,
  NAMESPACE_TEMPLATE,
  namespaceUri,
  parseUri,
  readResource,
  resourcePage,
} from "../service/resources.js";

/** The JSON-RPC code the specification gives a resource that does not exist. */
export const RESOURCE_NOT_FOUND = -32002;

/** Notifications of one burst of changes go out together, once per URI. */
const FLUSH_MS = 5;

export function registerResources(server: McpServer, bank: MemoryBank): () => void {
  const read = (uri: URL | string): ReadResourceResult => {
    try {
      return { contents: [readResource(bank.read(), uri.toString())] };
    } catch (error) {
      throw asMcpError(error);
    }
  };
  server.registerResource(
    "namespace",
    new ResourceTemplate(NAMESPACE_TEMPLATE, {
      list: undefined, // resources/list is answered below, paged
      complete: { namespace: (value) => completeNamespace(bank.read(), value) },
    }),
    {
      title: "Namespace listing",
      description: "Every key of one namespace with its URI, MIME type, size and last change (JSON).",
      mimeType: "application/json",
    },
    (uri) => read(uri),
  );
  server.registerResource(
    "entry",
    new ResourceTemplate(ENTRY_TEMPLATE, {
      list: undefined,
      complete: {
        namespace: (value) => completeNamespace(bank.read(), value),
        key: (value, context) => completeKey(bank.read(), value, context?.arguments?.namespace || undefined),
      },
    }),
    {
      title: "Memory entry",
      description:
        "One entry's value: text/plain for a string value, application/json otherwise. Keys are percent-encoded.",
    },
    (uri) => read(uri),
  );

  const inner = server.server;
  inner.registerCapabilities({ resources: { subscribe: true, listChanged: true } });
  const subscribed = new Set<string>();
  // list_changed goes to sessions that showed interest in the list, not to every tool-only client.
  let listWatched = false;
  inner.setRequestHandler(ListResourcesRequestSchema, (request) => {
    listWatched = true;
    listen();
    try {
      const page = resourcePage(bank.read(), request.params?.cursor);
      return {
        resources: page.resources.map(({ lastModified, ...r }) =>
          lastModified ? { ...r, annotations: { lastModified } } : r,
        ),
        ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}),
      };
    } catch (error) {
      throw asMcpError(error);
    }
  });
  inner.setRequestHandler(SubscribeRequestSchema, (request) => {
    const uri = request.params.uri;
    if (!parseUri(uri))
      throw new McpError(
        ErrorCode.InvalidParams,
        `uri '${uri.slice(0, 200)}' is not a memory resource: use ${ENTRY_TEMPLATE} or ${NAMESPACE_TEMPLATE}`,
      );
    // An entry that does not exist yet may be subscribed to: its creation is the news.
    subscribed.add(canonical(uri));
    listWatched = true;
    listen();
    return {};
  });
  inner.setRequestHandler(UnsubscribeRequestSchema, (request) => {
    subscribed.delete(canonical(request.params.uri));
    return {};
  });

  const pending = new Set<string>();
  let listChanged = false;
  let timer: NodeJS.Timeout | undefined;
  const flush = () => {
    timer = undefined;
    if (!inner.transport) return;
    for (const uri of pending) void inner.sendResourceUpdated({ uri }).catch(() => {});
    pending.clear();
    if (listChanged) void inner.sendResourceListChanged().catch(() => {});
    listChanged = false;
  };
  const heard = (change: BankChange) => {
    if (!inner.transport) return stop(); // the session is gone: stop hearing for it
    if (change.kind === "reset") {
      for (const uri of subscribed) pending.add(uri);
      listChanged = listWatched;
    } else {
      const { namespace, key } = change.entry;
      for (const uri of [entryUri(namespace, key), namespaceUri(namespace)])
        if (subscribed.has(uri)) pending.add(uri);
      if (listWatched && (change.kind === "del" || !change.previous)) listChanged = true;
    }
    if ((pending.size > 0 || listChanged) && !timer) timer = setTimeout(flush, FLUSH_MS);
  };
  // The feed is joined at the first list or subscription: a session that uses tools only costs nothing.
  let unlisten: (() => void) | undefined;
  const listen = () => {
    unlisten ??= bank.onChange(heard);
  };
  const stop = () => {
    unlisten?.();
    if (timer) clearTimeout(timer);
  };
  return stop;
}

/** The URI as we write it, so `memory://ns/a%20b` and `memory://ns/a b` are one subscription. */
function canonical(uri: string): string {
  const parsed = parseUri(uri);
  if (!parsed) return uri;
  return parsed.kind === "entry" ? entryUri(parsed.namespace, parsed.key) : namespaceUri(parsed.namespace);
}

function asMcpError(error: unknown): unknown {
  if (!(error instanceof MemoryError)) return error;
  if (error.code === "NOT_FOUND") return new McpError(RESOURCE_NOT_FOUND, error.message);
  if (error.code === "INVALID_INPUT") return new McpError(ErrorCode.InvalidParams, error.message);
  return new McpError(ErrorCode.InternalError, `${error.message} [${error.code}]`);
}
