import { describe, expect, it } from "vitest";
import { flattenText } from "../../src/search/api.js";

describe("flattenText", () => {
  it("takes string leaves, numbers and word-like keys from any JSON", () => {
    expect(flattenText({ owner: "alice", ports: [5432, 5433], ok: true, none: null })).toBe(
      "owner\nalice\nports\n5432\n5433\nok\nnone",
    );
  });

  it("skips keys that are not words", () => {
    expect(flattenText({ "123": "x", "c0ffee-0000-1111-2222-333344445555-ffff": "y" })).toBe("x\ny");
  });

  it("indexes a plain string value as is", () => {
    expect(flattenText("just text")).toBe("just text");
  });

  it("caps the text taken from one value", () => {
    expect(flattenText(["a".repeat(10), "b".repeat(10)], 15)).toBe(`${"a".repeat(10)}\nbbbb`);
    expect(flattenText("x".repeat(100_000)).length).toBe(64 * 1024);
  });

  it("survives pathological nesting", () => {
    let deep: unknown = "bottom";
    for (let i = 0; i < 10_000; i++) deep = [deep];
    expect(flattenText(deep)).toBe("");
  });
});
