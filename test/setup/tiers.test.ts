/** The tier rules hold for every test file: a fast-tier file that mocks a module runs isolated. */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT } from "../helpers.js";
import { ISOLATED } from "./tiers.js";

const testFiles = readdirSync(path.join(ROOT, "test"), { recursive: true, encoding: "utf8" })
  .filter((f) => f.endsWith(".test.ts"))
  .map((f) => path.join("test", f).split(path.sep).join("/"));

const systemFolders = ["test/cli/", "test/e2e/", "test/reliability/", "test/bench/"];
const fast = (f: string) => !f.endsWith(".system.test.ts") && !systemFolders.some((d) => f.startsWith(d));

describe("test tiers", () => {
  it("every fast-tier file that replaces a module with vi.mock is listed to run isolated", () => {
    const mocking = testFiles.filter(
      (f) => fast(f) && /\bvi\.(do)?[mM]ock\(/.test(readFileSync(path.join(ROOT, f), "utf8")),
    );
    expect(mocking.length).toBeGreaterThan(0);
    expect(mocking.sort()).toEqual([...ISOLATED].sort());
  });
});
