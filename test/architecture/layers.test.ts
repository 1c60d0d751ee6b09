/**
 * The layers of src/ (docs/ARCHITECTURE.md), checked on every import: a folder uses only the
 * folders below it, and no module outside the service (MemoryBank and its parts) reaches a
 * backend. Read from the sources, so a new file is held to the same rules the day it is added.
 */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT } from "../helpers.js";

const SRC = path.join(ROOT, "src");

/** What each layer may import at run time (type-only imports are listed apart). */
const ALLOWED: Record<string, string[]> = {
  domain: [],
  config: ["domain"],
  store: ["domain", "config"],
  search: [],
  telemetry: ["domain", "store"],
  transfer: ["domain", "config", "store"],
  service: ["domain", "config", "store", "search", "telemetry", "transfer"],
  mcp: ["domain", "config", "service", "telemetry"],
  ui: ["domain", "config", "service", "telemetry"],
  server: ["domain", "config", "store", "service", "telemetry", "mcp"],
  cli: ["domain", "config", "service", "telemetry", "transfer", "mcp", "ui", "server"],
  "cli.ts": ["cli"],
};

/** Type-only imports a layer may make beyond those: transfer is handed the bank and the operations' shapes. */
const ALLOWED_TYPES: Record<string, string[]> = { transfer: ["service"] };

interface Import {
  from: string;
  to: string;
  typeOnly: boolean;
}

function imports(): Import[] {
  const out: Import[] = [];
  for (const rel of readdirSync(SRC, { recursive: true, encoding: "utf8" })) {
    if (!rel.endsWith(".ts")) continue;
    const file = rel.split(path.sep).join("/");
    const text = readFileSync(path.join(SRC, rel), "utf8");
    const re = /(?:import|export)\s+(type\s+)?(?:[^;]*?\s+from\s+)?"(\.[^"]+)"|import\("(\.[^"]+)"\)/g;
    for (const m of text.matchAll(re)) {
      const spec = (m[2] ?? m[3]) as string;
      const target = path.relative(SRC, path.resolve(path.dirname(path.join(SRC, rel)), spec));
      out.push({
        from: file,
        to: target.split(path.sep).join("/").replace(/\.js$/, ".ts"),
        typeOnly: !!m[1],
      });
    }
  }
  return out;
}

const layerOf = (file: string) => (file.includes("/") ? (file.split("/")[0] as string) : file);

describe("the layers of src/", () => {
  const all = imports();

  it("reads the imports (the check has something to check)", () => {
    expect(all.length).toBeGreaterThan(200);
    expect(new Set(all.map((i) => layerOf(i.from)))).toEqual(new Set(Object.keys(ALLOWED)));
  });

  it("every folder uses only the folders it may", () => {
    const wrong = all
      .filter((i) => layerOf(i.from) !== layerOf(i.to))
      .filter((i) => {
        const from = layerOf(i.from);
        const to = layerOf(i.to);
        if (ALLOWED[from]?.includes(to)) return false;
        return !(i.typeOnly && ALLOWED_TYPES[from]?.includes(to));
      })
      .map((i) => `${i.from} -> ${i.to}${i.typeOnly ? " (type)" : ""}`);
    expect(wrong).toEqual([]);
  });

  it("only the service's core holds a backend: nothing else imports the store's contract or a backend", () => {
    const backendModules =
      /^store\/(backend|create|json\/json-store|memory\/memory-store|postgres\/backend)\.ts$/;
    const core = new Set([
      "service/bank.ts",
      "service/reads.ts",
      "service/writes.ts",
      "service/index-sync.ts",
    ]);
    const reaching = all
      .filter((i) => backendModules.test(i.to) && !i.from.startsWith("store/") && !core.has(i.from))
      // The shape of an inspection report, and of the checkpoint a saved index names: not ways to the data.
      .filter(
        (i) =>
          !(
            i.typeOnly &&
            (i.from === "service/operations/index-validate.ts" || i.from === "service/index-segment.ts")
          ),
      )
      .map((i) => `${i.from} -> ${i.to}`);
    expect(reaching).toEqual([]);
  });
});
