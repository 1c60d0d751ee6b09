/**
 * The memory as addressable resources: one URI per entry (`memory://<namespace>/<key>`) and one
 * per namespace (`memory://<namespace>`, its listing), what each is (MIME type, size, when it
 * last changed), pages of them in a stable order, and completions of namespaces and keys. The
 * MCP door maps these onto resources/list, resources/read, resource templates, completion and
 * subscriptions; query answers link to entries by the same URIs.
 */
import type { Entry } from "../domain/entry.js";
import { MemoryError } from "../domain/errors.js";
import type { StoreRead } from "./reads.js";

export const URI_SCHEME = "memory:";
export const ENTRY_TEMPLATE = "memory://{namespace}/{key}";
export const NAMESPACE_TEMPLATE = "memory://{namespace}";

/** Resources per resources/list page. */
export const RESOURCE_PAGE = 100;
/** Most keys a namespace listing shows; the count is always complete (page through resources/list for all). */
export const LISTING_MAX = 1000;
/** Most values one completion offers (the protocol's own ceiling). */
export const COMPLETION_MAX = 100;

export interface ResourceInfo {
  uri: string;
  name: string;
  title: string;
  description?: string;
  mimeType: string;
  size: number;
  /** ISO 8601: when the entry (or the newest entry of the namespace) last changed. */
  lastModified?: string;
}

export interface ResourceText {
  uri: string;
  mimeType: string;
  text: string;
}

/** Keys may hold any printable character: they travel percent-encoded. Namespaces are URI-safe by their rule. */
export function entryUri(namespace: string, key: string): string {
  return `memory://${namespace}/${encodeURIComponent(key)}`;
}

export function namespaceUri(namespace: string): string {
  return `memory://${namespace}`;
}

export type ParsedUri =
  | { kind: "entry"; namespace: string; key: string }
  | { kind: "namespace"; namespace: string };

/** Reads one of our URIs back; undefined for anything else. */
export function parseUri(uri: string): ParsedUri | undefined {
  const m = /^memory:\/\/([^/]+)(?:\/(.*))?$/.exec(uri);
  if (!m) return undefined;
  const namespace = m[1] as string;
  if (m[2] === undefined || m[2] === "") return { kind: "namespace", namespace };
  try {
    return { kind: "entry", namespace, key: decodeURIComponent(m[2]) };
  } catch {
    return undefined;
  }
}

/** A string value is text as it is; anything else is its JSON. */
export function entryText(e: Entry): { mimeType: string; text: string } {
  return typeof e.value === "string"
    ? { mimeType: "text/plain", text: e.value }
    : { mimeType: "application/json", text: JSON.stringify(e.value, null, 2) };
}

export function entryInfo(e: Entry): ResourceInfo {
  const { mimeType, text } = entryText(e);
  return {
    uri: entryUri(e.namespace, e.key),
    name: e.key,
    title: `${e.namespace}/${e.key}`,
    ...(e.tags.length ? { description: `tags: ${e.tags.join(", ")}` } : {}),
    mimeType,
    size: Buffer.byteLength(text),
    lastModified: e.updatedAt,
  };
}

function namespaceEntries(read: StoreRead, namespace: string): Entry[] {
  return [...read.live(namespace)].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/** The listing of one namespace: every key (up to LISTING_MAX) with its URI, type, size and time. */
export function namespaceListing(read: StoreRead, namespace: string): ResourceText {
  const entries = namespaceEntries(read, namespace);
  const shown = entries.slice(0, LISTING_MAX).map((e) => {
    const info = entryInfo(e);
    return { key: e.key, uri: info.uri, mimeType: info.mimeType, size: info.size, updatedAt: e.updatedAt };
  });
  const body = {
    namespace,
    entries: entries.length,
    ...(entries.length > shown.length
      ? { omitted: entries.length - shown.length, hint: "page through resources/list for every key" }
      : {}),
    keys: shown,
  };
  return { uri: namespaceUri(namespace), mimeType: "application/json", text: JSON.stringify(body, null, 2) };
}

export function namespaceInfo(read: StoreRead, namespace: string): ResourceInfo {
  let count = 0;
  let newest: string | undefined;
  for (const e of read.live(namespace)) {
    count++;
    if (!newest || e.updatedAt > newest) newest = e.updatedAt;
  }
  return {
    uri: namespaceUri(namespace),
    name: namespace,
    title: `namespace ${namespace}`,
    description: `${count} entr${count === 1 ? "y" : "ies"}: the listing of their keys`,
    mimeType: "application/json",
    // The listing is built on read; its size is that of the text it would be now.
    size: Buffer.byteLength(namespaceListing(read, namespace).text),
    ...(newest ? { lastModified: newest } : {}),
  };
}

/** What a resources/read of `uri` answers; NOT_FOUND names the URI and what exists. */
export function readResource(read: StoreRead, uri: string): ResourceText {
  const parsed = parseUri(uri);
  if (!parsed) {
    throw new MemoryError(
      "INVALID_INPUT",
      `uri '${uri.slice(0, 200)}' is not a memory resource: use ${ENTRY_TEMPLATE} or ${NAMESPACE_TEMPLATE}`,
    );
  }
  if (parsed.kind === "namespace") {
    if (read.count(parsed.namespace) === 0)
      throw new MemoryError(
        "NOT_FOUND",
        `namespace '${parsed.namespace}' holds no entries (resources/list shows what exists)`,
      );
    return namespaceListing(read, parsed.namespace);
  }
  const e = read.get(parsed.namespace, parsed.key);
  if (!e)
    throw new MemoryError(
      "NOT_FOUND",
      `no entry '${parsed.key.slice(0, 200)}' in namespace '${parsed.namespace}' (it may have been deleted or expired)`,
    );
  return { uri: entryUri(e.namespace, e.key), ...entryText(e) };
}

/**
 * One page of every resource: each namespace's listing followed by its entries, namespaces and
 * keys in order. The cursor is the position after the last one sent, so writes between pages
 * neither repeat nor skip what was already there.
 */
export function resourcePage(
  read: StoreRead,
  cursor?: string,
  pageSize = RESOURCE_PAGE,
): { resources: ResourceInfo[]; nextCursor?: string } {
  const after = cursor === undefined ? undefined : decodePosition(cursor);
  const out: ResourceInfo[] = [];
  for (const ns of read.namespaces()) {
    if (after && ns < after.namespace) continue;
    const entries = namespaceEntries(read, ns);
    if (entries.length === 0) continue;
    const items: Array<{ key: string; info: () => ResourceInfo }> = [
      { key: "", info: () => namespaceInfo(read, ns) },
      ...entries.map((e) => ({ key: e.key, info: () => entryInfo(e) })),
    ];
    for (const item of items) {
      if (after && ns === after.namespace && item.key <= after.key) continue;
      if (out.length === pageSize)
        return { resources: out, nextCursor: encodePosition(out.at(-1) as ResourceInfo) };
      out.push(item.info());
    }
  }
  return { resources: out };
}

function encodePosition(last: ResourceInfo): string {
  const parsed = parseUri(last.uri);
  const pos = parsed?.kind === "entry" ? [parsed.namespace, parsed.key] : [parsed?.namespace ?? "", ""];
  return Buffer.from(JSON.stringify(pos)).toString("base64url");
}

function decodePosition(cursor: string): { namespace: string; key: string } {
  try {
    const pos = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
    if (Array.isArray(pos) && pos.length === 2 && pos.every((p) => typeof p === "string"))
      return { namespace: pos[0] as string, key: pos[1] as string };
  } catch {
    // reported below
  }
  throw new MemoryError(
    "INVALID_INPUT",
    "cursor is not one resources/list gave: pass its nextCursor unchanged, or none to start over",
  );
}

/** Namespaces holding live entries that start with `prefix` (case-insensitive). */
export function completeNamespace(read: StoreRead, prefix: string): string[] {
  const p = prefix.toLowerCase();
  return read
    .namespaces()
    .filter((ns) => ns.toLowerCase().startsWith(p) && read.count(ns) > 0)
    .slice(0, COMPLETION_MAX);
}

/**
 * Keys of `namespace` (every namespace when absent) that start with `prefix`, then those that
 * merely contain it, newest first within each: what a person typing part of a key means.
 */
export function completeKey(read: StoreRead, prefix: string, namespace?: string): string[] {
  const p = prefix.toLowerCase();
  const starts: Entry[] = [];
  const contains: Entry[] = [];
  for (const e of read.live(namespace)) {
    const k = e.key.toLowerCase();
    if (k.startsWith(p)) starts.push(e);
    else if (p && k.includes(p)) contains.push(e);
  }
  const newest = (a: Entry, b: Entry) => (a.updatedAt < b.updatedAt ? 1 : a.updatedAt > b.updatedAt ? -1 : 0);
  const keys = [...starts.sort(newest), ...contains.sort(newest)].map((e) => e.key);
  return [...new Set(keys)].slice(0, COMPLETION_MAX);
}
