import { describe, expect, it } from "vitest";
import { type SearchFilter, SearchIndex } from "../../src/search/api.js";
import { DAY, doc, NOW } from "./helpers.js";

function setup(): SearchIndex {
  const index = new SearchIndex();
  index.upsert(
    doc({
      namespace: "agents",
      key: "a1",
      value: "deploy plan",
      tags: ["infra", "prod"],
      type: "procedural",
      updatedAt: NOW - 3 * DAY,
    }),
  );
  index.upsert(
    doc({
      namespace: "agents",
      key: "a2",
      value: "deploy notes",
      tags: ["infra"],
      type: "semantic",
      updatedAt: NOW - 2 * DAY,
    }),
  );
  index.upsert(
    doc({
      namespace: "tasks",
      key: "t1",
      value: "deploy task",
      tags: ["prod"],
      type: "episodic",
      updatedAt: NOW - DAY,
    }),
  );
  index.upsert(
    doc({
      namespace: "sessions",
      key: "s1",
      value: "deploy log",
      tags: [],
      type: "episodic",
      updatedAt: NOW,
      expiresAt: NOW,
    }),
  );
  index.upsert(
    doc({
      namespace: "sessions",
      key: "s2",
      value: "deploy log",
      tags: [],
      type: "episodic",
      updatedAt: NOW,
      expiresAt: NOW + 1,
    }),
  );
  return index;
}

const found = (f: Partial<SearchFilter>, text = "deploy") =>
  setup()
    .search({ text, filter: { now: NOW, ...f }, limit: 10 })
    .hits.map((h) => h.key)
    .sort();

describe("filters", () => {
  it("without conditions returns everything not expired", () => {
    expect(found({})).toEqual(["a1", "a2", "s2", "t1"]);
  });

  it("namespaces", () => {
    expect(found({ namespaces: ["agents", "tasks"] })).toEqual(["a1", "a2", "t1"]);
    expect(found({ namespaces: ["nowhere"] })).toEqual([]);
  });

  it("tags, all (default) and any", () => {
    expect(found({ tags: ["infra", "prod"] })).toEqual(["a1"]);
    expect(found({ tags: ["infra", "prod"], tagMode: "any" })).toEqual(["a1", "a2", "t1"]);
  });

  it("type", () => {
    expect(found({ type: "episodic" })).toEqual(["s2", "t1"]);
    expect(found({ type: "meta" })).toEqual([]);
  });

  it("since and until, inclusive, on updatedAt", () => {
    expect(found({ since: NOW - 2 * DAY })).toEqual(["a2", "s2", "t1"]);
    expect(found({ until: NOW - 2 * DAY })).toEqual(["a1", "a2"]);
    expect(found({ since: NOW - 2 * DAY, until: NOW - 2 * DAY })).toEqual(["a2"]);
  });

  it("expired documents (expiresAt <= now) only with includeExpired", () => {
    expect(found({ namespaces: ["sessions"] })).toEqual(["s2"]);
    expect(found({ namespaces: ["sessions"], includeExpired: true })).toEqual(["s1", "s2"]);
  });

  it("apply while scoring, so a filtered page is still full", () => {
    const index = new SearchIndex();
    for (let i = 0; i < 50; i++) {
      // The best-scoring documents are all in "noise"; the filter wants the weaker ones.
      index.upsert(doc({ namespace: "noise", key: `n${i}`, value: "alpha alpha alpha" }));
      index.upsert(doc({ namespace: "wanted", key: `w${i}`, value: "alpha and a lot of other words here" }));
    }
    const result = index.search({ text: "alpha", filter: { now: NOW, namespaces: ["wanted"] }, limit: 20 });
    expect(result.hits).toHaveLength(20);
    expect(result.hasMore).toBe(true);
    expect(result.hits.every((h) => h.namespace === "wanted")).toBe(true);
  });
});
