/**
 * EntryState with entries left unparsed (loadLines): every read side method gives the entries
 * a whole load would, each line is parsed at most once, and writes over an unread entry tell
 * observers the entry they replace.
 */
import { describe, expect, it } from "vitest";
import type { Change } from "../../src/store/backend.js";
import { EntryState, type Lines } from "../../src/store/entry-state.js";
import { entry } from "./entries.js";

function lines(entries: ReturnType<typeof entry>[]) {
  const parsed: number[] = [];
  const source: Lines = {
    count: entries.length,
    namespaces: entries.map((e) => e.namespace),
    keys: entries.map((e) => e.key),
    entry: (i) => {
      parsed.push(i);
      return entries[i] as ReturnType<typeof entry>;
    },
  };
  return { source, parsed };
}

describe("entries loaded by lines", () => {
  const entries = [entry("a", 1, "n1"), entry("b", 2, "n1"), entry("c", 3, "n2"), entry("a", 4, "n1")];

  it("reads like a whole load: sizes, namespaces, get, namespace views and iteration; a twin key keeps its later line", () => {
    const lazy = new EntryState();
    const { source, parsed } = lines(entries);
    lazy.loadLines(source);
    const whole = new EntryState();
    whole.load(entries, "reset");
    expect(parsed).toEqual([]);
    expect(lazy.size).toBe(whole.size);
    expect(lazy.namespaces()).toEqual(whole.namespaces());
    expect(lazy.get("n1", "a")).toBe(entries[3]);
    expect(lazy.namespace("n1")?.size).toBe(2);
    expect(lazy.namespace("n1")?.get("b")).toBe(entries[1]);
    expect([...(lazy.namespace("n1")?.keys() ?? [])]).toEqual(["a", "b"]);
    expect([...lazy.entries()]).toEqual([...whole.entries()]);
    // Each line was parsed once, however often it was read.
    expect([...parsed].sort()).toEqual([1, 2, 3]);
  });

  it("a write or a delete over an entry not read yet tells observers the entry it replaces", () => {
    const state = new EntryState();
    const heard: Change[] = [];
    state.observe({ applied: (c) => heard.push(c), reset: () => {} });
    state.loadLines(lines(entries).source);
    const replacement = entry("b", "new", "n1");
    state.put(replacement);
    state.del("n2", "c");
    expect(heard).toEqual([
      { kind: "put", entry: replacement, previous: entries[1] },
      { kind: "del", entry: entries[2] },
    ]);
    expect(state.size).toBe(2);
    expect([...state.entries()]).toEqual([entries[3], replacement]);
  });

  it("a reload compares with the entries it replaces, read or not", () => {
    const state = new EntryState();
    const heard: Change[] = [];
    state.observe({ applied: (c) => heard.push(c), reset: () => {} });
    state.loadLines(lines(entries).source);
    const changed = entry("c", "changed", "n2");
    state.load(
      [entries[3] as ReturnType<typeof entry>, entries[1] as ReturnType<typeof entry>, changed],
      "diff",
    );
    expect(heard).toEqual([{ kind: "put", entry: changed, previous: entries[2] }]);
  });
});
