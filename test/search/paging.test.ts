import { describe, expect, it } from "vitest";
import { type SearchHit, SearchIndex, type SearchResult } from "../../src/search/api.js";
import { doc, filter } from "./helpers.js";

const WORDS = ["deploy", "rollback", "canary", "cluster", "node", "pod", "service", "ingress", "secret"];

function corpus(index: SearchIndex, n: number, prefix = "d"): void {
  for (let i = 0; i < n; i++) {
    const text = Array.from({ length: 3 + (i % 7) }, (_, j) => WORDS[(i * 7 + j * 3) % WORDS.length]).join(
      " ",
    );
    index.upsert(doc({ namespace: i % 3 === 0 ? "agents" : "tasks", key: `${prefix}${i}`, value: text }));
  }
}

const id = (h: SearchHit) => `${h.namespace}/${h.key}`;

describe("paging", () => {
  it("pages through all results in order without gaps or repeats", () => {
    const index = new SearchIndex({ cacheSize: 0 });
    corpus(index, 120);
    const all = index.search({ text: "deploy canary", filter: filter(), limit: 1000 }).hits;
    const paged: SearchHit[] = [];
    let page: SearchResult = index.search({ text: "deploy canary", filter: filter(), limit: 7 });
    paged.push(...page.hits);
    while (page.hasMore) {
      page = index.search({ text: "deploy canary", filter: filter(), limit: 7, after: page.next });
      paged.push(...page.hits);
    }
    expect(paged).toEqual(all);
  });

  it("neither duplicates nor skips an unchanged document when others are written between pages", () => {
    const index = new SearchIndex({ cacheSize: 0 });
    corpus(index, 150);
    const text = "deploy canary secret";
    const before = new Set(index.search({ text, filter: filter(), limit: 10_000 }).hits.map(id));

    const seen: string[] = [];
    let page = index.search({ text, filter: filter(), limit: 9 });
    seen.push(...page.hits.map(id));
    let round = 0;
    const touched = new Set<string>();
    while (page.hasMore) {
      // Writes that shift document counts, document frequencies and average lengths.
      corpus(index, 5, `new${round}-`);
      for (let i = 0; i < 5; i++)
        touched.add(`${(round * 5 + i) % 3 === 0 ? "agents" : "tasks"}/new${round}-${i}`);
      index.upsert(doc({ key: `big${round}`, value: "deploy ".repeat(50) }));
      touched.add(`default/big${round}`);
      const victim = `d${round * 11}`;
      index.remove(victim.startsWith("d") && (round * 11) % 3 === 0 ? "agents" : "tasks", victim);
      touched.add(`${(round * 11) % 3 === 0 ? "agents" : "tasks"}/${victim}`);
      round++;
      page = index.search({ text, filter: filter(), limit: 9, after: page.next });
      seen.push(...page.hits.map(id));
    }

    expect(new Set(seen).size).toBe(seen.length); // no duplicates at all
    const unchanged = [...before].filter((d) => !touched.has(d));
    const seenSet = new Set(seen);
    expect(unchanged.filter((d) => !seenSet.has(d))).toEqual([]); // none skipped
    expect(round).toBeGreaterThan(3);
  });

  it("rejects a cursor from a different query", () => {
    const index = new SearchIndex();
    corpus(index, 30);
    const page = index.search({ text: "deploy", filter: filter(), limit: 2 });
    expect(() => index.search({ text: "canary", filter: filter(), limit: 2, after: page.next })).toThrow(
      /different query/,
    );
  });

  it("continues by position when given a hand-made cursor without a plan", () => {
    const index = new SearchIndex();
    corpus(index, 30);
    const all = index.search({ text: "deploy", filter: filter(), limit: 100 }).hits;
    const third = all[2] as SearchHit;
    const rest = index.search({
      text: "deploy",
      filter: filter(),
      limit: 100,
      after: { score: third.score, namespace: third.namespace, key: third.key },
    });
    expect(rest.hits).toEqual(all.slice(3));
  });
});
