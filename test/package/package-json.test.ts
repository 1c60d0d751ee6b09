/**
 * package.json names only files a build produces (the binary an install links, and nothing
 * `main` that an `import "memory-bank-mcp"` would fail to find), and says what the README and
 * the LICENSE say: the license, the Node versions, no scripts an install of the package runs.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT } from "../helpers.js";

const pkg = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")) as {
  main?: string;
  bin?: Record<string, string>;
  files?: string[];
  exports?: unknown;
  license?: string;
  engines?: { node?: string };
  scripts?: Record<string, string>;
};

describe("package.json", () => {
  it("names a binary that the build produces, and no entry point that it does not", () => {
    expect(pkg.bin).toEqual({ "memory-bank": "dist/src/cli.js" });
    for (const file of Object.values(pkg.bin ?? {}))
      expect(existsSync(path.join(ROOT, file)), file).toBe(true);
    if (pkg.main !== undefined) expect(existsSync(path.join(ROOT, pkg.main)), pkg.main).toBe(true);
    for (const entry of pkg.files ?? []) expect(existsSync(path.join(ROOT, entry)), entry).toBe(true);
  });

  it("ships the LICENSE its license field names", () => {
    expect(pkg.license).toBe("MIT");
    expect(pkg.files).toContain("LICENSE");
    expect(readFileSync(path.join(ROOT, "LICENSE"), "utf8")).toMatch(/^MIT License\n/);
  });

  it("asks for the Node version the README states", () => {
    const readme = readFileSync(path.join(ROOT, "README.md"), "utf8");
    const min = /^>=(\d+\.\d+)$/.exec(pkg.engines?.node ?? "")?.[1];
    expect(min, "engines.node is >=MAJOR.MINOR").toBeDefined();
    expect(readme).toContain(`Node ${min} or newer`);
  });

  it("builds a clone on install, and packs a manifest with no script an install of the package runs", () => {
    for (const script of ["preinstall", "install", "postinstall"])
      expect(pkg.scripts?.[script], script).toBeUndefined();
    expect(pkg.scripts?.prepare).toBe("npm run build");
    expect(pkg.scripts?.prepack).toBe("npm run build && node scripts/pack-manifest.mjs strip");
    expect(pkg.scripts?.postpack).toBe("node scripts/pack-manifest.mjs restore");
    // strip, then restore, on a copy: the tarball's manifest lacks prepare, the checkout's comes back byte for byte.
    const dir = mkdtempSync(path.join(tmpdir(), "memory-bank-pack-"));
    try {
      const original = readFileSync(path.join(ROOT, "package.json"), "utf8");
      writeFileSync(path.join(dir, "package.json"), original);
      const script = path.join(ROOT, "scripts", "pack-manifest.mjs");
      execFileSync(process.execPath, [script, "strip"], { cwd: dir });
      const packed = JSON.parse(readFileSync(path.join(dir, "package.json"), "utf8")) as typeof pkg;
      expect(packed.scripts?.prepare).toBeUndefined();
      expect(packed.scripts?.prepack).toBe(pkg.scripts?.prepack);
      execFileSync(process.execPath, [script, "restore"], { cwd: dir });
      expect(readFileSync(path.join(dir, "package.json"), "utf8")).toBe(original);
      expect(existsSync(path.join(dir, "package.json.unpacked"))).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("builds no source maps: the package ships no sources for them to point at", () => {
    const tsconfig = readFileSync(path.join(ROOT, "tsconfig.json"), "utf8");
    expect(tsconfig).toMatch(/"sourceMap": false/);
    const maps = readdirSync(path.join(ROOT, "dist"), { recursive: true }).filter((f) =>
      String(f).endsWith(".map"),
    );
    expect(maps).toEqual([]);
  });
});
