/**
 * Read-only checks of the store's files, usable without opening the store (opening would already
 * repair what it can): is the snapshot a complete snapshot, and does every journal line carry a
 * valid checksum. Nothing here writes.
 */
import { readFile } from "node:fs/promises";
import { errorMessage, MemoryError } from "../../domain/errors.js";
import type { StorageInspection } from "../backend.js";
import { storeLayout } from "../layout.js";
import { scanJournal } from "./journal.js";
import { parseSnapshot } from "./snapshot.js";

export async function inspectFiles(dataPath: string): Promise<StorageInspection> {
  const journalPath = storeLayout(dataPath).journal;
  const snapshot: StorageInspection["snapshot"] = {
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
      snapshot.error = errorMessage(error);
    }
  }
  const journal: StorageInspection["journal"] = {
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
