/**
 * The importer reads line-oriented sources a slice at a time: damaged lines are reported by their
 * position without stopping the import, gzip and our framed export layout are read, and a file
 * cut short says so. (That memory does not grow with the file: importer.system.test.ts.)
 */
import { writeFileSync } from "node:fs";
import path from "node:path";
import { gzipSync } from "node:zlib";
import { afterEach, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/config.js";
import { MemoryBank } from "../../src/service/bank.js";
import { importFrom } from "../../src/transfer/importer.js";
import { removeProject, tempProject } from "../helpers.js";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) removeProject(d);
});

async function open(): Promise<{ dir: string; bank: MemoryBank }> {
  const dir = tempProject();
  dirs.push(dir);
  const bank = await MemoryBank.open(loadConfig({ cwd: dir, env: {} }), { log: () => {} });
  return { dir, bank };
}

describe("streaming import", () => {
  it("reports bad lines by position, keeps the rest, and reads gzip and our framed export layout", async () => {
    const { dir, bank } = await open();
    const entries = Array.from({ length: 5 }, (_, i) => ({ key: `k${i}`, value: i }));
    const framed = [
      `{"format":"memory-bank-export","version":1,"exportedAt":"2026-01-01T00:00:00.000Z","count":6,"entries":[`,
      ...entries.slice(0, 3).map((e) => `${JSON.stringify(e)},`),
      "{not json},",
      ...entries.slice(3).map((e, i, a) => `${JSON.stringify(e)}${i < a.length - 1 ? "," : ""}`),
      "]}",
      "",
    ].join("\n");
    writeFileSync(path.join(dir, "export.json.gz"), gzipSync(framed));
    const r = await importFrom(bank, { path: "export.json.gz", namespace: "restored" });
    expect(r).toMatchObject({ format: "json", read: 6, stored: 5, failed: 1 });
    expect(r.errors[0]?.index).toBe(3);
    expect(r.errors[0]?.message).toMatch(/line 5: not valid JSON/);
    expect(bank.get("k4", "restored")?.value).toBe(4);

    writeFileSync(path.join(dir, "cut.json"), framed.split("]}")[0] as string);
    const cut = await importFrom(bank, { path: "cut.json", namespace: "cut", onConflict: "skip" });
    expect(cut.errors.at(-1)?.message).toMatch(/ends before its entries list is closed/);
    await bank.close();
  });
});
