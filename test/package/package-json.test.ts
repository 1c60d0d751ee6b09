/**
 * package.json names only files a build produces: the binary an install links, and nothing
 * (`main`) that an `import "memory-bank-mcp"` would fail to find. Checked against this build.
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT } from "../helpers.js";

const pkg = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")) as {
  main?: string;
  bin?: Record<string, string>;
  files?: string[];
  exports?: unknown;
};

describe("package.json", () => {
  it("names a binary that the build produces, and no entry point that it does not", () => {
    expect(pkg.bin).toEqual({ "memory-bank": "dist/src/cli.js" });
    for (const file of Object.values(pkg.bin ?? {}))
      expect(existsSync(path.join(ROOT, file)), file).toBe(true);
    if (pkg.main !== undefined) expect(existsSync(path.join(ROOT, pkg.main)), pkg.main).toBe(true);
    for (const entry of pkg.files ?? []) expect(existsSync(path.join(ROOT, entry)), entry).toBe(true);
  });
});
