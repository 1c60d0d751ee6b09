import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { stem, tokens } from "../../src/search/api.js";
import { tokenize, wordHash } from "../../src/search/tokenize.js";

describe("tokenize", () => {
  it.each([
    ["authService", "authservice"],
    ["auth_service", "authservice"],
    ["auth-service", "authservice"],
    ["AuthService", "authservice"],
  ])("splits %s into the whole word and its parts", (input, whole) => {
    expect(tokens(input)).toEqual([whole, "auth", "service"]);
  });

  it("splits an acronym from the word after it", () => {
    expect(tokens("HTTPServer")).toEqual(["httpserver", "http", "server"]);
  });

  it("splits dotted paths", () => {
    expect(tokens("db.pool.maxSize")).toEqual(["dbpoolmaxsize", "db", "pool", "max", "size"]);
  });

  it("lower-cases plain words and ignores punctuation at word ends", () => {
    expect(tokens("Hello, World. (again)")).toEqual(["hello", "world", "again"]);
  });

  it("keeps letters of any script and digits", () => {
    expect(tokens("Größe 数据库 Ελλάδα 5432")).toEqual(["größe", "数据库", "ελλάδα", "5432"]);
  });

  it("separates letters from digits inside identifiers", () => {
    expect(tokens("sha256sum")).toEqual(["sha256sum", "sha", "256", "sum"]);
  });

  it("folds full-width forms", () => {
    expect(tokens("ｃｏｄｅ")).toEqual(["code"]);
  });

  it("keeps a one-character word, but not a clitic, a one-character part or an over-long blob", () => {
    expect(tokens("C and R, x = 5")).toEqual(["c", "and", "r", "x", "5"]);
    expect(tokens("it's e.g. don’t createX")).toEqual(["it", "eg", "don", "createx", "create"]);
    expect(tokens("a".repeat(65))).toEqual([]);
  });
});

describe("stem", () => {
  it.each([
    [["replication", "replicate", "replicated", "replicating"]],
    [["authenticate", "authentication", "authenticated"]],
    [["connection", "connections", "connected", "connecting"]],
    [["policy", "policies"]],
    [["deploy", "deploys", "deployed", "deploying"]],
  ])("makes a word family meet: %j", (family) => {
    expect(new Set(family.map(stem)).size).toBe(1);
  });

  it("keeps unrelated words apart", () => {
    expect(stem("cache")).not.toBe(stem("catch"));
    expect(stem("server")).not.toBe(stem("serve"));
  });

  it("leaves identifiers with digits, short words and other scripts alone", () => {
    expect(stem("v2ed")).toBe("v2ed");
    expect(stem("is")).toBe("is");
    expect(stem("größe")).toBe("größe");
  });
});

/** The regex tokenizer the ASCII scanner must agree with, token for token. */
function referenceTokens(text: string): string[] {
  const out: string[] = [];
  const keep = (t: string, standalone = false) => {
    if (t.length > 64 || (t.length === 1 && !standalone && t.charCodeAt(0) < 128)) return;
    out.push(t);
  };
  const normalized = /[\u0080-\uffff]/.test(text) ? text.normalize("NFKC") : text;
  for (const m of normalized.matchAll(/[\p{L}\p{N}\p{M}]+(?:[._-]+[\p{L}\p{N}\p{M}]+)*/gu)) {
    const word = m[0];
    const parts = word
      .split(/[._-]+/)
      .flatMap((p) =>
        p.split(
          /(?<=[\p{Ll}\p{N}])(?=\p{Lu})|(?<=\p{Lu})(?=\p{Lu}\p{Ll})|(?<=\p{L})(?=\p{N})|(?<=\p{N})(?=\p{L})/u,
        ),
      );
    if (parts.length === 1) {
      const before = normalized.charAt((m.index ?? 0) - 1);
      keep(word.toLowerCase(), before !== "'" && before !== "\u2019");
      continue;
    }
    keep(parts.join("").toLowerCase());
    for (const part of parts) keep(part.toLowerCase());
  }
  return out;
}

describe("ASCII scanner", () => {
  const chars = [..."abcxyzABCXYZ0189._-_ ,;:/()\n'", "é", "ｃ"];
  it("emits exactly the tokens of the regex tokenizer", () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...chars), { maxLength: 40 }), (cs) => {
        const text = cs.join("");
        expect(tokens(text)).toEqual(referenceTokens(text));
      }),
      { numRuns: 3000 },
    );
    for (const text of [
      "HTTPServer v2.0 The END",
      "x".repeat(64),
      `${"Ab".repeat(40)}`,
      "a1 1a A1 ..a.. -b-",
    ])
      expect(tokens(text)).toEqual(referenceTokens(text));
  });
});

describe("range tokens", () => {
  it("are the same tokens, with the hash of the lower-cased token", () => {
    const chars = [..."abcxyzABCXYZ0189._-_ ,;:/()\n'"];
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...chars), { maxLength: 40 }), (cs) => {
        const text = cs.join("");
        const out: string[] = [];
        tokenize(
          text,
          (t) => out.push(t),
          (t, start, end, hash) => {
            const token = t.slice(start, end).toLowerCase();
            expect(hash).toBe(wordHash(token));
            out.push(token);
          },
        );
        expect(out).toEqual(referenceTokens(text));
      }),
      { numRuns: 2000 },
    );
  });
});
