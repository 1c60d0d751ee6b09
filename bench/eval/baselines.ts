/**
 * The baselines: JavaScript search libraries people pick instead, run in this process on the same
 * documents and queries as memory_query. Each indexes the same three fields our index sees (the
 * key, the text, the tag) and returns the keys of its 10 best documents for a query.
 *
 * Configurations are what each library's documentation shows for ranked search:
 * - minisearch 7: BM25 defaults; and `fuzzy: 0.2, prefix: true` (its README's typo-tolerant example).
 * - lunr 2: its defaults (stemmer, stop words, BM25); and every word also with edit distance 1
 *   (the `word~1` of its query syntax), the exact term kept beside it. Queries go through lunr's
 *   query builder with lunr's own tokenizer, which is `idx.search` without the query syntax
 *   (so a `:` or `-` in a question is a character, not an operator).
 * - Orama 3: BM25 defaults; and with its English stemmer and `tolerance: 1` (typo tolerance).
 */
import { create, insertMultiple, search as oramaSearch } from "@orama/orama";
import lunr from "lunr";
import MiniSearch from "minisearch";

export interface BaselineDoc {
  key: string;
  text: string;
  tag: string;
}

export interface Engine {
  name: string;
  /** Keys of the best `limit` documents, best first. */
  search(text: string, limit: number): Promise<string[]> | string[];
}

export interface Baseline {
  name: string;
  build(docs: readonly BaselineDoc[]): Promise<Engine> | Engine;
}

function miniSearch(name: string, options: { fuzzy?: number; prefix?: boolean }): Baseline {
  return {
    name,
    build(docs) {
      const index = new MiniSearch<BaselineDoc>({ idField: "key", fields: ["key", "text", "tag"] });
      index.addAll(docs as BaselineDoc[]);
      return {
        name,
        search: (text, limit) =>
          index
            .search(text, options)
            .slice(0, limit)
            .map((r) => String(r.id)),
      };
    },
  };
}

function lunrIndex(name: string, editDistance: number): Baseline {
  return {
    name,
    build(docs) {
      const index = lunr(function (this: lunr.Builder) {
        this.ref("key");
        this.field("key");
        this.field("text");
        this.field("tag");
        for (const d of docs) this.add(d);
      });
      return {
        name,
        search(text, limit) {
          const words = lunr.tokenizer(text).map((t) => t.toString());
          return index
            .query((q) => {
              for (const w of words) {
                q.term(w, {});
                if (editDistance > 0) q.term(w, { editDistance });
              }
            })
            .slice(0, limit)
            .map((r) => r.ref);
        },
      };
    },
  };
}

function orama(name: string, options: { stemming: boolean; tolerance: number }): Baseline {
  return {
    name,
    async build(docs) {
      const db = create({
        schema: { key: "string", text: "string", tag: "string" } as const,
        components: { tokenizer: { stemming: options.stemming } },
      });
      await insertMultiple(
        db,
        docs.map((d) => ({ id: d.key, key: d.key, text: d.text, tag: d.tag })),
      );
      return {
        name,
        async search(text, limit) {
          const found = await oramaSearch(db, {
            term: text,
            limit,
            ...(options.tolerance > 0 ? { tolerance: options.tolerance } : {}),
          });
          return found.hits.map((h) => String(h.id));
        },
      };
    },
  };
}

export const BASELINES: readonly Baseline[] = [
  miniSearch("minisearch 7, BM25 defaults", {}),
  miniSearch("minisearch 7, fuzzy 0.2 + prefix", { fuzzy: 0.2, prefix: true }),
  lunrIndex("lunr 2, defaults (stemmer, stop words)", 0),
  lunrIndex("lunr 2, + edit distance 1 per word", 1),
  orama("Orama 3, BM25 defaults", { stemming: false, tolerance: 0 }),
  orama("Orama 3, stemming + tolerance 1", { stemming: true, tolerance: 1 }),
];
