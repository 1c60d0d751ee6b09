/**
 * The saved search index (`<store>.index` beside the snapshot): written when an index is
 * complete (a build finished, a compaction installed a new snapshot, the bank closes on a
 * state the saved one no longer fits) and loaded at open instead of analyzing every entry
 * again, which at a million entries is most of a cold start.
 *
 * It is only a cache, so it is never trusted: it names the store checkpoint it was made at
 * (Backend.checkpoint: snapshot generation, size and checksum, and the journal bytes applied)
 * and is used only when the store still continues that checkpoint; the journal replayed since
 * is then applied to it as to any index. It also names the package version and the rules that
 * shaped what was indexed (retention decides each document's expiry), and checks its own bytes
 * (search/segment.ts). Anything else (another version, other rules, another checkpoint, a
 * damaged or cut file) and the index is built from the entries as if there were none.
 *
 * No fsync: a segment lost or torn by a crash fails its checksum and is rebuilt, and nothing
 * acknowledged depends on it.
 */
import { closeSync, constants as fsConstants, fstatSync, openSync, read } from "node:fs";
import { VERSION } from "../config/version.js";
import { errorMessage } from "../domain/errors.js";
import type { Retention } from "../domain/retention.js";
import { decodeSegment, encodeSegment, SearchIndex, type SearchIndexOptions } from "../search/api.js";
import type { StoreCheckpoint } from "../store/backend.js";
import { writeFileAtomic } from "../store/files.js";

/** What a segment says it is. */
export interface SegmentMeta {
  version: string;
  /** The rules that shaped what was indexed: retention (expiry) and the project stamping it. */
  rules: string;
  checkpoint: StoreCheckpoint;
  /** Documents in the index, for the reader's count check. */
  docs: number;
}

export function rulesOf(retention: Retention): string {
  return JSON.stringify([retention.project, retention.policies, retention.overrides ?? null]);
}

/**
 * Starts reading `file` whole: opened and sized now, its bytes read by one request on the
 * thread pool, so the read overlaps whatever this thread does next (the store's own load).
 * Resolves undefined when there is no file; rejects on a read error.
 */
export function prefetchSegment(file: string): Promise<Buffer | undefined> {
  let fd: number;
  try {
    fd = openSync(file, fsConstants.O_RDONLY | fsConstants.O_NOFOLLOW);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return Promise.resolve(undefined);
    return Promise.reject(error);
  }
  let size: number;
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new Error(`${file} is not a file`);
    size = st.size;
  } catch (error) {
    closeSync(fd);
    return Promise.reject(error);
  }
  const buf = Buffer.allocUnsafeSlow(size);
  return new Promise<Buffer>((resolve, reject) => {
    const from = (offset: number) => {
      if (offset >= size) {
        closeSync(fd);
        resolve(buf);
        return;
      }
      read(fd, buf, offset, size - offset, offset, (error, n) => {
        if (error || n === 0) {
          closeSync(fd);
          if (error) reject(error);
          else resolve(buf.subarray(0, offset)); // shrank meanwhile: the checksum will say so
          return;
        }
        from(offset + n);
      });
    };
    from(0);
  });
}

export type SegmentLoad = { index: SearchIndex; meta: SegmentMeta } | { reason: string };

/**
 * The index `bytes` hold, when they are a sound segment of this version and these rules, made
 * at a checkpoint the store still continues; otherwise why not.
 */
export function loadSegment(
  bytes: Buffer,
  expect: { rules: string; continues: (checkpoint: StoreCheckpoint) => boolean },
  options: SearchIndexOptions,
): SegmentLoad {
  let decoded: ReturnType<typeof decodeSegment>;
  try {
    decoded = decodeSegment(bytes);
  } catch (error) {
    return { reason: `it is damaged (${errorMessage(error)})` };
  }
  const meta = decoded.meta as Partial<SegmentMeta> | null;
  if (meta === null || typeof meta !== "object") return { reason: "it names no store checkpoint" };
  if (meta.version !== VERSION) return { reason: `it was written by version ${String(meta.version)}` };
  if (meta.rules !== expect.rules) return { reason: "the retention rules changed since it was written" };
  const c = meta.checkpoint;
  if (
    c === undefined ||
    typeof c.base !== "string" ||
    !Number.isSafeInteger(c.logBytes) ||
    !Number.isSafeInteger(c.logCrc) ||
    !expect.continues(c)
  ) {
    return { reason: "the store has moved on from the state it was made from (a compaction or a restore)" };
  }
  try {
    return { index: SearchIndex.fromState(decoded.state, options), meta: meta as SegmentMeta };
  } catch (error) {
    return { reason: `it does not fit together (${errorMessage(error)})` };
  }
}

/**
 * Encodes the index now (a copy: it may change right after) and writes it atomically, 0600.
 * Resolves with the bytes written.
 */
export async function saveSegment(file: string, index: SearchIndex, meta: SegmentMeta): Promise<number> {
  const bytes = encodeSegment(meta, index.exportState());
  return writeFileAtomic(file, [bytes], { fsync: false });
}
