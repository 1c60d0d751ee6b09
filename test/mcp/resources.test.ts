/**
 * Entries and namespaces as resources, as a client sees them (in this process in the fast tier,
 * over real stdio in the system tier): the templates, paged resources/list with MIME types,
 * sizes and lastModified, reads, completion of namespace and key, and subscriptions that fire
 * when a second server on the same store (another bank, another file handle: the same path a
 * second process takes) changes what was subscribed to.
 */
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import {
  type Resource,
  ResourceListChangedNotificationSchema,
  ResourceUpdatedNotificationSchema,
} from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Connected, connectServer, ok, removeProject, tempProject } from "../helpers.js";

let dir: string;
let s: Connected;
let other: Connected;

beforeAll(async () => {
  dir = tempProject();
  s = await connectServer(dir);
  other = await connectServer(dir);
  await ok(s.client, "memory_store", { key: "notes/plain", value: "a plain text note", tags: ["doc"] });
  await ok(s.client, "memory_store", { key: "cfg/json", value: { retries: 3 }, namespace: "project" });
  await ok(s.client, "memory_store", { key: "with space/and%", value: "odd key", namespace: "project" });
});

afterAll(async () => {
  await s.close();
  await other.close();
  removeProject(dir);
});

async function listAll(client: Client): Promise<{ resources: Resource[]; pages: number }> {
  const resources: Resource[] = [];
  let cursor: string | undefined;
  let pages = 0;
  do {
    const page = await client.listResources(cursor ? { cursor } : {});
    resources.push(...page.resources);
    cursor = page.nextCursor;
    pages++;
  } while (cursor);
  return { resources, pages };
}

describe("resource templates", () => {
  it("offers one for an entry and one for a namespace listing", async () => {
    const { resourceTemplates } = await s.client.listResourceTemplates();
    expect(resourceTemplates.map((t) => t.uriTemplate).sort()).toEqual([
      "memory://{namespace}",
      "memory://{namespace}/{key}",
    ]);
    const caps = s.client.getServerCapabilities();
    expect(caps?.resources).toEqual({ subscribe: true, listChanged: true });
    expect(caps?.completions).toBeDefined();
  });
});

describe("resources/list", () => {
  it("lists namespaces and entries with their MIME type, size and last change", async () => {
    const { resources } = await listAll(s.client);
    const byUri = new Map(resources.map((r) => [r.uri, r]));
    const plain = byUri.get("memory://default/notes%2Fplain");
    expect(plain).toMatchObject({ name: "notes/plain", mimeType: "text/plain", size: 17 });
    expect(Date.parse(plain?.annotations?.lastModified ?? "")).not.toBeNaN();
    const json = byUri.get("memory://project/cfg%2Fjson");
    expect(json?.mimeType).toBe("application/json");
    expect(json?.size).toBe(Buffer.byteLength(JSON.stringify({ retries: 3 }, null, 2)));
    expect(byUri.get("memory://project")).toMatchObject({ mimeType: "application/json", name: "project" });
  });

  it("pages 100 at a time, every entry once", async () => {
    await ok(s.client, "batch_store", {
      entries: Array.from({ length: 250 }, (_, i) => ({
        key: `bulk-${String(i).padStart(3, "0")}`,
        value: i,
        namespace: "bulk",
      })),
    });
    const { resources, pages } = await listAll(s.client);
    const bulk = resources.filter((r) => r.uri.startsWith("memory://bulk/"));
    expect(bulk).toHaveLength(250);
    expect(new Set(resources.map((r) => r.uri)).size).toBe(resources.length);
    expect(pages).toBeGreaterThanOrEqual(3);
  });

  it("refuses a cursor it did not give, saying what to pass", async () => {
    await expect(s.client.listResources({ cursor: "garbage!" })).rejects.toThrow(
      /cursor is not one resources\/list gave/,
    );
  });
});

describe("resources/read", () => {
  it("reads an entry as text or JSON, and a namespace as its listing", async () => {
    const plain = await s.client.readResource({ uri: "memory://default/notes%2Fplain" });
    expect(plain.contents[0]).toMatchObject({ mimeType: "text/plain", text: "a plain text note" });
    const json = await s.client.readResource({ uri: "memory://project/cfg%2Fjson" });
    expect(JSON.parse(String(json.contents[0]?.text))).toEqual({ retries: 3 });
    const odd = await s.client.readResource({
      uri: `memory://project/${encodeURIComponent("with space/and%")}`,
    });
    expect(odd.contents[0]?.text).toBe("odd key");
    const listing = JSON.parse(
      String((await s.client.readResource({ uri: "memory://project" })).contents[0]?.text),
    );
    expect(listing.entries).toBe(2);
    expect(listing.keys.map((k: { key: string }) => k.key)).toEqual(["cfg/json", "with space/and%"]);
  });

  it("answers a missing entry with resource-not-found naming it", async () => {
    await expect(s.client.readResource({ uri: "memory://default/nope" })).rejects.toThrow(
      /-32002.*no entry 'nope'/,
    );
  });
});

describe("completion/complete", () => {
  it("completes namespaces and the keys of the chosen namespace", async () => {
    const ns = await s.client.complete({
      ref: { type: "ref/resource", uri: "memory://{namespace}/{key}" },
      argument: { name: "namespace", value: "pr" },
    });
    expect(ns.completion.values).toEqual(["project"]);
    const keys = await s.client.complete({
      ref: { type: "ref/resource", uri: "memory://{namespace}/{key}" },
      argument: { name: "key", value: "cf" },
      context: { arguments: { namespace: "project" } },
    });
    expect(keys.completion.values).toEqual(["cfg/json"]);
    const bulk = await s.client.complete({
      ref: { type: "ref/resource", uri: "memory://{namespace}/{key}" },
      argument: { name: "key", value: "bulk-" },
      context: { arguments: { namespace: "bulk" } },
    });
    expect(bulk.completion.values).toHaveLength(100);
  });
});

describe("resources/subscribe", () => {
  it("tells a subscriber when another server on the store changes the entry, and the namespace", async () => {
    const updated: string[] = [];
    let listChanged = 0;
    s.client.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => {
      updated.push(n.params.uri);
    });
    s.client.setNotificationHandler(ResourceListChangedNotificationSchema, () => {
      listChanged++;
    });
    await s.client.subscribeResource({ uri: "memory://default/notes%2Fplain" });
    await s.client.subscribeResource({ uri: "memory://watched" });
    await ok(other.client, "memory_store", { key: "notes/plain", value: "changed elsewhere" });
    await until(() => updated.includes("memory://default/notes%2Fplain"));
    await ok(other.client, "memory_store", { key: "new-one", value: 1, namespace: "watched" });
    await until(() => updated.includes("memory://watched") && listChanged > 0);
    await s.client.unsubscribeResource({ uri: "memory://default/notes%2Fplain" });
    updated.length = 0;
    await ok(other.client, "memory_store", { key: "notes/plain", value: "again" });
    await ok(other.client, "memory_store", { key: "second", value: 2, namespace: "watched" });
    await until(() => updated.includes("memory://watched"));
    expect(updated).not.toContain("memory://default/notes%2Fplain");
  });

  it("refuses to subscribe to something that is not a memory resource", async () => {
    await expect(s.client.subscribeResource({ uri: "file:///etc/passwd" })).rejects.toThrow(
      /not a memory resource/,
    );
  });
});

async function until(check: () => boolean, ms = 20_000): Promise<void> {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > ms) throw new Error("the notification did not arrive");
    await new Promise((r) => setTimeout(r, 10));
  }
}
