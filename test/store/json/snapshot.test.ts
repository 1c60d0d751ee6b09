/**
 * The snapshot format: every line and the header checksummed, a whole-file sum in the trailer so
 * a sound file is verified in one pass, and damage classified as damaged lines or structural.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { MemoryError } from "../../../src/domain/errors.js";
import { parseSnapshot, readLines, writeSnapshot } from "../../../src/store/json/snapshot.js";
import { entry, removeDir, tempDir } from "./fixtures.js";

let dirs: string[] = [];
afterEach(() => {
  for (const d of dirs) removeDir(d);
  dirs = [];
});

async function written(n = 5): Promise<Buffer> {
  const dir = tempDir();
  dirs.push(dir);
  const file = path.join(dir, "s.json");
  const entries = Array.from({ length: n }, (_, i) => entry(`k${i}`, `value ${i}`));
  await writeSnapshot(file, 3, entries, n, { fsync: false, folded: { gen: 2, bytes: 100 } });
  return readFileSync(file);
}

const flip = (buf: Buffer, at: number) => {
  const copy = Buffer.from(buf);
  copy[at] = (copy[at] as number) ^ 0x01;
  return copy;
};

describe("snapshot format 2", () => {
  it("is plain JSON that round-trips: generation, folded journal, every entry, no checksum fields", async () => {
    const buf = await written();
    const doc = JSON.parse(buf.toString("utf8"));
    expect(doc.entries).toHaveLength(5);
    const s = parseSnapshot(buf);
    expect(s.generation).toBe(3);
    expect(s.folded).toEqual({ gen: 2, bytes: 100 });
    expect(s.damaged).toEqual([]);
    expect(s.entries.map((e) => e.key)).toEqual(["k0", "k1", "k2", "k3", "k4"]);
    expect(s.entries[0]).not.toHaveProperty("ck");
  });

  it("a flipped byte inside one entry's value makes exactly that line damaged", async () => {
    const buf = await written();
    const s = parseSnapshot(flip(buf, buf.indexOf("value 2") + 1));
    expect(s.entries.map((e) => e.key)).toEqual(["k0", "k1", "k3", "k4"]);
    expect(s.damaged).toHaveLength(1);
    expect(s.damaged[0]?.reason).toBe("checksum mismatch");
  });

  it("a damaged whole-file sum alone damages nothing: the lines are checked one by one and are sound", async () => {
    const buf = await written();
    const s = parseSnapshot(flip(buf, buf.length - 4));
    expect(s.entries).toHaveLength(5);
    expect(s.damaged).toEqual([]);
  });

  it("a damaged header, a missing line or a cut-off file is structural damage", async () => {
    const buf = await written();
    const headerDigit = buf.indexOf('"generation":3') + '"generation":'.length;
    expect(() => parseSnapshot(flip(buf, headerDigit))).toThrow(MemoryError);
    expect(() => parseSnapshot(buf.subarray(0, Math.floor(buf.length / 2)))).toThrow(/cut off/);
    const lines = buf.toString("utf8").split("\n");
    lines.splice(2, 1);
    expect(() => parseSnapshot(Buffer.from(lines.join("\n")))).toThrow(/entry lines/);
  });
});

describe("reading a snapshot by lines (entries parsed when first read)", () => {
  async function file(entries: ReturnType<typeof entry>[]): Promise<Buffer> {
    const dir = tempDir();
    dirs.push(dir);
    const f = path.join(dir, "s.json");
    await writeSnapshot(f, 4, entries, entries.length, { fsync: false });
    return readFileSync(f);
  }

  it("gives every line's namespace and key, and each entry exactly as a whole parse does", async () => {
    const odd = { ...entry('quote"and\\slash', 1), id: 'id"escaped' };
    const reordered = JSON.parse(JSON.stringify({ key: "reordered", ...entry("reordered", 2) }));
    const entries = [
      entry("plain", "v", "ns1"),
      entry("ключ-ü", { deep: ["x"] }, "ns1"),
      odd,
      reordered,
      entry("plain", "again", "ns2"),
      entry("plain", "later twin", "ns1"),
    ];
    const buf = await file(entries);
    const lines = readLines(buf);
    const whole = parseSnapshot(buf);
    if (!lines) throw new Error("a sound snapshot must be readable by lines");
    expect(lines.generation).toBe(4);
    expect(lines.sum).toBe(whole.sum);
    expect(lines.count).toBe(entries.length);
    expect(lines.namespaces).toEqual(whole.entries.map((e) => e.namespace));
    expect(lines.keys).toEqual(whole.entries.map((e) => e.key));
    expect(Array.from({ length: lines.count }, (_, i) => lines.entry(i))).toEqual(whole.entries);
  });

  it("declines a snapshot whose checksum does not hold, or that is cut, so that the whole parse classifies it", async () => {
    const buf = await file([entry("a", "one"), entry("b", "two")]);
    expect(readLines(flip(buf, buf.indexOf("two")))).toBeUndefined();
    expect(readLines(buf.subarray(0, buf.length - 3))).toBeUndefined();
    expect(readLines(Buffer.from('{"entries":[]}'))).toBeUndefined();
  });
});
