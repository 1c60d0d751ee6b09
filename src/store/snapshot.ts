/**
 * The snapshot: one complete JSON document, `{format, generation, count, entries: [...]}`, written
 * one entry per line. The layout keeps the file valid JSON for any reader while letting us parse
 * it line by line from a Buffer: a million entries never become one giant string.
 */
import { readFile } from "node:fs/promises";
import { MemoryError } from "../errors.js";
import type { Entry } from "../model.js";
import { writeFileAtomic } from "./files.js";

export const SNAPSHOT_FORMAT = 1;

export interface Snapshot {
  generation: number;
  entries: Entry[];
}

function* snapshotChunks(generation: number, entries: Iterable<Entry>, count: number): Generator<string> {
  yield `{"format":${SNAPSHOT_FORMAT},"generation":${generation},"count":${count},"entries":[`;
  let first = true;
  for (const entry of entries) {
    yield `${first ? "\n" : ",\n"}${JSON.stringify(entry)}`;
    first = false;
  }
  yield "\n]}\n";
}

export async function writeSnapshot(
  file: string,
  generation: number,
  entries: Iterable<Entry>,
  count: number,
  fsync = true,
): Promise<number> {
  return writeFileAtomic(file, snapshotChunks(generation, entries, count), { fsync });
}

/** Reads a snapshot; throws CORRUPT_DATA for anything that is not a complete, valid snapshot. */
export async function readSnapshot(file: string): Promise<Snapshot> {
  const buf = await readFile(file);
  return parseSnapshot(buf, file);
}

export function parseSnapshot(buf: Buffer, file = "snapshot"): Snapshot {
  const fast = parseLines(buf);
  if (fast) return fast;
  // Not our line layout (edited by hand, or written by another tool): parse it as plain JSON.
  let doc: unknown;
  try {
    doc = JSON.parse(buf.toString("utf8"));
  } catch (error) {
    throw new MemoryError("CORRUPT_DATA", `${file} is not valid JSON: ${(error as Error).message}`);
  }
  const d = doc as { generation?: unknown; entries?: unknown };
  if (!d || typeof d !== "object" || !Array.isArray(d.entries)) {
    throw new MemoryError("CORRUPT_DATA", `${file} has no "entries" array`);
  }
  const generation = typeof d.generation === "number" ? d.generation : 0;
  return { generation, entries: d.entries as Entry[] };
}

function parseLines(buf: Buffer): Snapshot | undefined {
  const firstNl = buf.indexOf(10);
  if (firstNl < 0) return undefined;
  const header = buf.toString("utf8", 0, firstNl);
  const m = /^\{"format":(\d+),"generation":(\d+),"count":(\d+),"entries":\[$/.exec(header);
  if (!m) return undefined;
  const count = Number(m[3]);
  const entries: Entry[] = new Array(count);
  let start = firstNl + 1;
  let n = 0;
  try {
    for (;;) {
      const nl = buf.indexOf(10, start);
      if (nl < 0) return undefined;
      let end = nl;
      if (buf[end - 1] === 44 /* , */) end--;
      if (buf[start] === 93 /* ] */) {
        const tail = buf.toString("utf8", start, nl);
        if (tail !== "]}" || n !== count || buf.length !== nl + 1) return undefined;
        break;
      }
      if (n >= count) return undefined;
      entries[n++] = JSON.parse(buf.toString("utf8", start, end));
      start = nl + 1;
    }
  } catch {
    return undefined;
  }
  return { generation: Number(m[2]), entries };
}
