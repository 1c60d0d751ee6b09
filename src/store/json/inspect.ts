/**
 * Read-only checks of the store's files, usable without opening the store (opening would already
 * repair what it can): is the snapshot a complete snapshot, and does every journal line carry a
 * valid checksum. Nothing here writes.
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { MemoryError } from "../../domain/errors.js";
import { scanJournal } from "./journal.js";
import { parseSnapshot } from "./snapshot.js";

export interface FileInspection {
  snapshot: {
    path: string;
    exists: boolean;
    ok: boolean;
    entries: number;
    generation: number;
    error?: string;
  };
  journal: {
    path: string;
    exists: boolean;
    bytes: number;
    lines: number;
    badLines: Array<{ offset: number; length: number; reason: string }>;
    /** Bytes after the last newline: a write in flight, or a torn tail left by a crash. */
    incompleteTailBytes: number;
    /** Records of a generation newer than the snapshot's (the snapshot is older than the journal). */
    newerGenerations: number;
  };
}

export function journalPathOf(dataPath: string): string {
  const base = path.basename(dataPath).replace(/\.json$/, "");
  return path.join(path.dirname(dataPath), `${base}.journal`);
}

export async function inspectFiles(dataPath: string): Promise<FileInspection> {
  const journalPath = journalPathOf(dataPath);
  const snapshot: FileInspection["snapshot"] = {
    path: dataPath,
    exists: false,
    ok: true,
    entries: 0,
    generation: 0,
  };
  const snapBuf = await readFile(dataPath).catch((e: NodeJS.ErrnoException) => {
    if (e.code === "ENOENT") return undefined;
    throw e;
  });
  if (snapBuf) {
    snapshot.exists = true;
    try {
      const parsed = parseSnapshot(snapBuf, dataPath);
      snapshot.entries = parsed.entries.length;
      snapshot.generation = parsed.generation;
      const bad = parsed.damaged[0];
      if (bad) {
        throw new MemoryError(
          "CORRUPT_DATA",
          `${dataPath} has ${parsed.damaged.length} damaged entr${parsed.damaged.length === 1 ? "y" : "ies"}, the first at byte ${bad.offset} (${bad.reason})`,
        );
      }
    } catch (error) {
      snapshot.ok = false;
      snapshot.error = (error as Error).message;
    }
  }
  const journal: FileInspection["journal"] = {
    path: journalPath,
    exists: false,
    bytes: 0,
    lines: 0,
    badLines: [],
    incompleteTailBytes: 0,
    newerGenerations: 0,
  };
  const jBuf = await readFile(journalPath).catch((e: NodeJS.ErrnoException) => {
    if (e.code === "ENOENT") return undefined;
    throw e;
  });
  if (jBuf) {
    journal.exists = true;
    journal.bytes = jBuf.length;
    const scan = scanJournal(jBuf, 0);
    journal.lines = scan.records.length + scan.problems.length;
    journal.badLines = scan.problems;
    journal.incompleteTailBytes = jBuf.length - scan.consumed;
    if (snapshot.ok)
      journal.newerGenerations = scan.records.filter((r) => r.gen > snapshot.generation).length;
  }
  return { snapshot, journal };
}
