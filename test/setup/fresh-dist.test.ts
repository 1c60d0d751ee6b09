/** The system tier's guard against stale compiled code: every way dist/ can disagree with src/ is named. */
import { mkdirSync, utimesSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { removeProject, tempProject } from "../helpers.js";
import { staleDist } from "./fresh-dist.js";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) removeProject(d);
});

function file(root: string, rel: string, mtime: number): void {
  mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
  writeFileSync(path.join(root, rel), "");
  utimesSync(path.join(root, rel), mtime, mtime);
}

describe("fresh dist/", () => {
  it("passes a dist/ compiled after every source, and names each stale, missing or orphaned module", () => {
    const root = tempProject();
    dirs.push(root);
    file(root, "src/a.ts", 1000);
    file(root, "dist/src/a.js", 2000);
    expect(staleDist(root)).toEqual([]);

    file(root, "src/store/b.ts", 3000);
    file(root, "dist/src/store/b.js", 2000);
    file(root, "src/c.ts", 1000);
    file(root, "dist/src/store/lock.js", 2000);
    expect(staleDist(root).sort()).toEqual([
      `${path.join("dist", "src", "store", "b.js")} is older than ${path.join("src", "store", "b.ts")}`,
      `${path.join("dist", "src", "store", "lock.js")} has no source any more`,
      `${path.join("src", "c.ts")} is not compiled`,
    ]);
  });
});
