/**
 * The embedded JSON backend: a snapshot plus an append-only journal, shared by every process that
 * opens the same directory.
 *
 * - Writers take the cross-process lock, replay whatever other processes appended, run their
 *   transactions against that fresh state, append one buffer and fsync it before anyone is told
 *   "stored". Concurrent writes of this process are grouped into that one append (group commit).
 * - Readers take no lock: `refresh()` stats the snapshot and the journal and replays the new tail,
 *   so every process sees every other process's acknowledged writes before it answers.
 * - Compaction folds the journal into a new snapshot of the next generation; the old snapshot and
 *   its journal are kept in backups/ so a damaged snapshot can be rebuilt.
 */
import {
  closeSync,
  fdatasyncSync,
  constants as fsConstants,
  fstatSync,
  fsyncSync,
  ftruncateSync,
  lstatSync,
  openSync,
  readSync,
  type Stats,
  statSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import { lstat, open, rename, rm, stat } from "node:fs/promises";
import path from "node:path";
import { crc32 } from "node:zlib";
import type { Entry } from "../../domain/entry.js";
import { errorMessage, MemoryError } from "../../domain/errors.js";
import { ioError } from "../../domain/io-errors.js";
import type {
  Backend,
  CompactResult,
  StorageUsage,
  StoreCheckpoint,
  StoreMaintenance,
  StoreObserver,
  StoreProblem,
  StoreStatus,
  TxView,
  WriteOptions,
} from "../backend.js";
import { entryLabel } from "../entry-check.js";
import { EntryState } from "../entry-state.js";
import {
  ensureDir,
  ensureDirSync,
  ensurePrivateDir,
  FILE_MODE,
  fsyncDir,
  sweepDeadTempFiles,
  tempPathFor,
} from "../files.js";
import { type StoreLayout, storeLayout } from "../layout.js";
import { backupBytes, listBackups, listBackupsSync, preserveSnapshot, pruneBackups } from "./backups.js";
import { StoreClock } from "./clock.js";
import { inspectFiles } from "./inspect.js";
import {
  encodeLine,
  type JournalRecord,
  type Op,
  type ScanProblem,
  type SimpleOp,
  scanJournal,
} from "./journal.js";
import { acquireLock, type HeldLock, isLocked, sweepLockLeftovers } from "./lock.js";
import {
  type DamagedLine,
  type Folded,
  parseSnapshot,
  readLines,
  readSnapshot,
  type Snapshot,
  type SnapshotLines,
  writeSnapshot,
} from "./snapshot.js";
import { watchStoreFiles } from "./watch.js";

export interface JsonStoreOptions {
  /** The snapshot file, e.g. memory/claude-flow-data.json. Its siblings hold the journal and backups. */
  dataPath: string;
  fsync?: boolean;
  compactAfterBytes?: number;
  backupsKept?: number;
  lockStaleMs?: number;
  /** Prune old backups after releasing the lock instead of while holding it. */
  concurrentBackups?: boolean;
  /** Hold the lock for the life of the process (performance.enableParallelAccess = false). */
  exclusive?: boolean;
  /** Entries compaction may drop (expired ones). */
  isExpired?: (entry: Entry, now: number) => boolean;
  /**
   * When the snapshot is unreadable and no backup is: rebuild from the journals alone instead of
   * refusing to start (index-validate --repair, which the user asked for explicitly).
   */
  rebuildWithoutBackup?: boolean;
  log?: (message: string) => void;
}

interface Txn {
  fn: (tx: TxView) => unknown;
  atomic: boolean;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

/** Transactions per group commit: bounds the size of one append and of one lock hold. */
const MAX_GROUP = 512;

export class JsonStore implements Backend {
  readonly dataPath: string;
  /** Every file name of the store (layout.ts). */
  readonly layout: StoreLayout;
  readonly journalPath: string;
  readonly backupDir: string;
  readonly corruptDir: string;
  private readonly opts: Required<Omit<JsonStoreOptions, "isExpired" | "log" | "rebuildWithoutBackup">> &
    Pick<JsonStoreOptions, "isExpired">;
  private readonly log: (message: string) => void;

  /** The entries, their revision and the observers (store/entry-state.ts). */
  private readonly state = new EntryState();
  private generation = 0;
  private seq = 0;
  private journalOffset = 0;
  private journalRecords = 0;
  private journalIno = -1;
  private snapshotId = "";
  private snapshotBytes = 0;
  /** The installed snapshot's whole-file checksum, when it held (names the position). */
  private snapshotSum: number | undefined;
  private lastCompaction: string | undefined;
  private problems: StoreProblem[] = [];
  private seenProblemOffsets = new Set<string>();
  private readonly rebuildWithoutBackup: boolean;
  private compactAtClose = true;
  private queue: Txn[] = [];
  private flushing: Promise<void> | undefined;
  /** True while this process holds the lock for a write: no other process can change the files. */
  private writing = false;
  /** The lock while this process holds it (one write group or compaction; or for life when exclusive). */
  private lock: HeldLock | undefined;
  private exclusiveLock: HeldLock | undefined;
  private closed = false;
  /** The journal kept open between appends, and the inode it was opened on (see append). */
  private journalFd: { fd: number; ino: number } | undefined;
  /** The file system's time, which every process sharing the store agrees on (clock.ts). */
  private readonly clock: StoreClock;

  constructor(options: JsonStoreOptions) {
    this.dataPath = path.resolve(options.dataPath);
    this.layout = storeLayout(this.dataPath);
    this.journalPath = this.layout.journal;
    this.backupDir = this.layout.backups;
    this.corruptDir = this.layout.corrupt;
    this.opts = {
      dataPath: this.dataPath,
      fsync: options.fsync ?? true,
      compactAfterBytes: options.compactAfterBytes ?? 16 * 1024 * 1024,
      backupsKept: options.backupsKept ?? 5,
      lockStaleMs: options.lockStaleMs ?? 10_000,
      concurrentBackups: options.concurrentBackups ?? true,
      exclusive: options.exclusive ?? false,
      isExpired: options.isExpired,
    };
    this.log = options.log ?? ((m) => process.stderr.write(`memory-bank: ${m}\n`));
    this.rebuildWithoutBackup = options.rebuildWithoutBackup ?? false;
    this.clock = new StoreClock(this.dataPath);
  }

  now(): number {
    return this.clock.now();
  }

  get size(): number {
    return this.state.size;
  }

  get revision(): number {
    return this.state.revision;
  }

  observe(observer: StoreObserver): void {
    this.state.observe(observer);
  }

  watch(listener: () => void): () => void {
    return watchStoreFiles(this.layout, listener, this.log);
  }

  async open(): Promise<void> {
    await ensurePrivateDir(this.dataPath, this.log);
    refuseLinks([this.dataPath, this.journalPath]);
    sweepLockLeftovers(this.dataPath);
    const swept = sweepDeadTempFiles(path.dirname(this.dataPath));
    if (swept) this.log(`removed ${swept} unfinished temp file(s) left by processes that died mid-write`);
    if (this.clock.probe() && this.clock.skewMs !== 0) {
      this.log(
        `this process's clock is ${Math.round(Math.abs(this.clock.skewMs) / 1000)} s ${this.clock.skewMs > 0 ? "behind" : "ahead of"} the store's file system: entries are stamped and expire by the file system's time`,
      );
    }
    if (this.opts.exclusive) {
      this.exclusiveLock = await acquireLock(this.dataPath, {
        staleMs: this.opts.lockStaleMs,
        waitMs: 3000,
        log: this.log,
      }).catch((error) => {
        throw new MemoryError(
          "LOCK_BUSY",
          `the store ${this.dataPath} is in use by another process and performance.enableParallelAccess is false: stop the other process or enable parallel access (${errorMessage(error)})`,
        );
      });
    }
    try {
      this.loadAll(true);
      this.refreshFiles(false);
      if (this.snapshotId !== "none" && !statOrUndefined(this.journalPath)) {
        this.report(
          "journal-missing",
          `journal ${this.journalPath} is missing next to snapshot generation ${this.generation} (compaction never leaves it missing): writes acknowledged after that snapshot was written are not in the snapshot. If the journal was moved or deleted by mistake, stop every server and put it back; this process continues from the snapshot`,
        );
      }
    } catch (error) {
      if (!(error instanceof MemoryError) || error.code !== "CORRUPT_DATA") throw error;
      await this.withLock(() => this.repairAtOpen(error));
    }
  }

  /**
   * The snapshot could not be used as it is. Rebuild it from backups when they hold an unbroken
   * chain (exact: damaged entries come back as they were). When they do not and only some entry
   * lines are damaged, keep every good entry, set the damaged lines aside in corrupt/, report
   * each, and compact so no process meets them again. Structural damage with no chain refuses.
   */
  private async repairAtOpen(error: MemoryError): Promise<void> {
    try {
      await this.recover(error.message);
    } catch (failed) {
      const partial = error instanceof DamagedSnapshot ? error.snapshot : undefined;
      if (!partial || !(failed instanceof MemoryError) || failed.code !== "CORRUPT_DATA") throw failed;
      this.refreshFiles(true);
      this.setAside(partial.damaged);
      this.install(partial, this.readSnapshotId(), true);
      this.replayLiveJournal();
      await this.compactLocked("damaged snapshot entries set aside");
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Reading

  get(namespace: string, key: string): Entry | undefined {
    return this.state.get(namespace, key);
  }

  namespace(namespace: string): ReadonlyMap<string, Entry> | undefined {
    return this.state.namespace(namespace);
  }

  namespaces(): string[] {
    return this.state.namespaces();
  }

  entries(): IterableIterator<Entry> {
    return this.state.entries();
  }

  /**
   * Replays what other processes acknowledged since we last looked. Synchronous on purpose: state
   * is never observed half-replayed, and when nothing changed it costs two stat calls.
   */
  refresh(): void {
    if (this.writing || this.closed) return; // we hold the lock: nobody else can have written
    this.refreshFiles(false);
  }

  private refreshFiles(writer: boolean): void {
    for (let attempt = 0; attempt < 50; attempt++) {
      const snap = statOrUndefined(this.dataPath);
      const id = snap ? statId(snap) : "none";
      if (id !== this.snapshotId) {
        this.loadAll(false);
        continue;
      }
      const j = statOrUndefined(this.journalPath);
      // A compaction may have replaced snapshot and journal between the two stats: the journal we
      // saw would then be the new one, and the old journal's tail would never be read.
      const again = statOrUndefined(this.dataPath);
      if ((again ? statId(again) : "none") !== id) continue;
      if (!j) {
        this.journalIno = -1;
        this.journalOffset = 0;
        return;
      }
      if (j.ino !== this.journalIno || j.size < this.journalOffset) {
        // A new journal (another process compacted): read it from the start.
        this.journalIno = j.ino;
        this.journalOffset = 0;
        this.journalRecords = 0;
      }
      if (j.size === this.journalOffset) return;
      const outcome = this.replayJournal(this.journalOffset, j.size);
      if (outcome === "reload") {
        this.loadAll(false);
        continue;
      }
      if (writer && this.journalOffset < j.size) this.cutTornTail(j.size);
      return;
    }
    throw new MemoryError("UNAVAILABLE", "the store kept changing while it was being read: retry");
  }

  /** Applies journal records in [from, to). Returns "reload" when they belong to a newer snapshot. */
  private replayJournal(from: number, to: number): "ok" | "reload" {
    const buf = readRange(this.journalPath, from, to, this.journalIno);
    if (buf === "replaced") return "reload"; // compacted since the stat: read snapshot and journal again
    if (!buf) return "ok";
    const scan = scanJournal(buf, from);
    for (const p of scan.problems)
      this.noteCorruptLine(p, buf.subarray(p.offset - from, p.offset - from + p.length));
    let applied = 0;
    for (const record of scan.records) {
      if (record.gen < this.generation) continue; // folded into the snapshot already
      if (record.gen > this.generation) return "reload";
      if (record.seq <= this.seq) continue;
      this.applyRecord(record);
      applied++;
    }
    this.journalOffset = from + scan.consumed;
    this.journalRecords += applied;
    return "ok";
  }

  private applyRecord(record: JournalRecord): void {
    this.seq = record.seq;
    this.applyOp(record.change, record.end);
  }

  /** `at`: where the op's record ends in the live journal (Change.at), when it is from there. */
  private applyOp(op: Op, at?: number): void {
    switch (op.op) {
      case "put":
        this.state.put(op.entry, at);
        break;
      case "del":
        this.state.del(op.namespace, op.key, at);
        break;
      case "batch":
        for (const o of op.ops) this.applyOp(o, at);
        break;
    }
  }

  /**
   * Loads the snapshot and the whole journal. On the first load observers get one reset; later
   * (another process compacted) only the entries that differ are emitted, so the search index is
   * patched instead of rebuilt. At the first load a snapshot with damaged lines, or a missing one
   * whose backups show the store is not new, throws CORRUPT_DATA for open() to repair; later
   * loads set damaged lines aside and go on.
   */
  private loadAll(initial: boolean): void {
    // The first load leaves a sound snapshot's entries unparsed until read (snapshot.ts's
    // readLines); a reload parses them all, since it compares each with the entry it replaces.
    const read = this.readSnapshotFile(initial);
    let snapshot: Snapshot | SnapshotLines = { generation: 0, entries: [], damaged: [] };
    if (read) {
      snapshot = read.snapshot;
      if ("damaged" in snapshot && snapshot.damaged.length > 0) {
        if (initial) throw new DamagedSnapshot(this.dataPath, snapshot);
        this.setAside(snapshot.damaged);
      }
    } else if (initial) {
      const sets = listBackupsSync(this.layout);
      if (sets.length > 0 || this.journalHasLaterGenerations()) {
        throw new MemoryError(
          "CORRUPT_DATA",
          `${this.dataPath} is missing, but ${sets.length > 0 ? `${this.backupDir} holds ${sets.length} generation(s) of backups` : "the journal refers to a later snapshot"}: this is not a new store`,
        );
      }
    }
    this.install(snapshot, read?.id ?? "none", initial, read?.bytes ?? 0);
    this.replayLiveJournal();
  }

  /** The snapshot file parsed (structural damage throws CORRUPT_DATA), or undefined when there is none. */
  private readSnapshotFile(
    byLines: boolean,
  ): { snapshot: Snapshot | SnapshotLines; id: string; bytes: number } | undefined {
    let fd: number;
    try {
      fd = openSync(this.dataPath, fsConstants.O_RDONLY | fsConstants.O_NOFOLLOW);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === "ENOENT") return undefined;
      if (code === "ELOOP") throw linkRefused(this.dataPath);
      throw error;
    }
    try {
      const st = fstatSync(fd);
      const buf = Buffer.allocUnsafe(st.size);
      let off = 0;
      while (off < st.size) {
        const n = readSync(fd, buf, off, st.size - off, off);
        if (n === 0) break;
        off += n;
      }
      const bytes = off === st.size ? buf : buf.subarray(0, off);
      const snapshot =
        (byLines ? readLines(bytes, this.dataPath) : undefined) ?? parseSnapshot(bytes, this.dataPath);
      return { snapshot, id: statId(st), bytes: st.size };
    } finally {
      closeSync(fd);
    }
  }

  private readSnapshotId(): string {
    const st = statOrUndefined(this.dataPath);
    return st ? statId(st) : "none";
  }

  /** Makes `snapshot` the state (plus what it says it did not fold of the previous journal). */
  private install(
    snapshot: Snapshot | SnapshotLines,
    id: string,
    initial: boolean,
    bytes = this.snapshotBytes,
  ): void {
    this.generation = snapshot.generation;
    this.seq = 0;
    this.snapshotId = id;
    this.snapshotBytes = bytes;
    this.snapshotSum = snapshot.sum;
    this.journalOffset = 0;
    this.journalRecords = 0;
    if ("entries" in snapshot) this.state.load(snapshot.entries, initial ? "reset" : "diff");
    else this.state.loadLines(snapshot);
    if (snapshot.folded) this.carryForward(snapshot.folded);
  }

  /**
   * A snapshot folds its predecessor's journal up to `folded.bytes`. Anything after that in the
   * archived journal was appended by a writer that held the lock while the compacting process
   * was not running (only possible across machines, see lock.ts): it is applied here, so a
   * compaction installed late never makes those acknowledged writes disappear.
   */
  private carryForward(folded: Folded): void {
    const archived = this.layout.backup(folded.gen).journal;
    const st = statOrUndefined(archived);
    if (!st || st.size <= folded.bytes) return;
    const buf = readRange(archived, folded.bytes, st.size);
    if (!buf) return;
    const scan = scanJournal(buf, folded.bytes);
    let applied = 0;
    for (const record of scan.records) {
      if (record.gen !== folded.gen) continue;
      this.applyOp(record.change);
      applied++;
    }
    if (applied > 0) {
      this.log(
        `applied ${applied} journal record(s) written to generation ${folded.gen} after its compaction had read it (a writer took the lock over from a paused one); they are kept`,
      );
    }
  }

  /** Replays the live journal from its start onto a freshly installed snapshot. */
  private replayLiveJournal(): void {
    const j = statOrUndefined(this.journalPath);
    this.journalIno = j ? j.ino : -1;
    if (j && j.size > 0 && this.replayJournal(0, j.size) === "reload") {
      // The journal is already of a newer generation than the snapshot we read (another process
      // compacted in between): forget the snapshot identity so the next refresh reads both again.
      this.snapshotId = "";
    }
  }

  /** Damaged snapshot lines: bytes copied to corrupt/ (once), each reported, never served. */
  private setAside(damaged: DamagedLine[]): void {
    for (const d of damaged) {
      const key = `snapshot:${this.snapshotIdOrPath()}:${d.offset}`;
      if (this.seenProblemOffsets.has(key)) continue;
      this.seenProblemOffsets.add(key);
      const keep = this.layout.damagedEntry(d.offset, crc32(d.bytes));
      let kept = `its bytes are kept in ${keep}`;
      try {
        ensureDirSync(this.corruptDir);
        writeFileSync(keep, d.bytes, { mode: FILE_MODE, flag: "wx" });
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "EEXIST") {
          kept = `copying its bytes to ${this.corruptDir} failed (${errorMessage(error)}); the snapshot still holds them until it is compacted`;
        }
      }
      const label = entryLabel(d.parsed);
      this.report(
        "corrupt-entry",
        `snapshot ${this.dataPath} entry ${label ?? `at byte ${d.offset}`} is damaged (${d.reason}); it is not served, and ${kept}`,
      );
    }
  }

  private snapshotIdOrPath(): string {
    const st = statOrUndefined(this.dataPath);
    return st ? `${st.ino}:${st.size}` : this.dataPath;
  }

  private journalHasLaterGenerations(): boolean {
    const j = statOrUndefined(this.journalPath);
    if (!j || j.size === 0) return false;
    const buf = readRange(this.journalPath, 0, Math.min(j.size, 1 << 20));
    return !!buf && scanJournal(buf, 0).records.some((r) => r.gen > 0);
  }

  private noteCorruptLine(p: ScanProblem, bytes: Buffer): void {
    const key = `${this.journalIno}:${p.offset}`;
    if (this.seenProblemOffsets.has(key)) return;
    this.seenProblemOffsets.add(key);
    // Compaction archives the journal and pruning deletes old archives: the damaged bytes are
    // copied out at first sight so that no later step can be what finally destroys them.
    const keep = this.layout.damagedLine(this.journalIno, p.offset, crc32(bytes));
    let kept = `its bytes are kept in ${keep}`;
    try {
      ensureDirSync(this.corruptDir);
      writeFileSync(keep, bytes, { mode: FILE_MODE, flag: "wx" });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") {
        kept = `copying its bytes to ${this.corruptDir} failed (${errorMessage(error)}); they remain in the journal until it is compacted`;
      }
    }
    this.report(
      "corrupt-line",
      `journal ${this.journalPath} line at byte ${p.offset} (${p.length} bytes) is damaged (${p.reason}); it was skipped and ${kept}`,
    );
  }

  private report(kind: StoreProblem["kind"], detail: string): void {
    this.problems.push({ at: new Date().toISOString(), kind, detail });
    if (this.problems.length > 100) this.problems.shift();
    this.log(detail);
  }

  /**
   * Only called while holding the lock: a final line without its newline can then only be the
   * remains of a writer that died mid-append. It was never acknowledged, so it is cut off, but its
   * bytes are copied to backups/ first.
   */
  private cutTornTail(size: number): void {
    this.fence("cutting a torn journal tail");
    const torn = readRange(this.journalPath, this.journalOffset, size);
    ensureDirSync(this.backupDir);
    const keep = this.layout.tornTail(Date.now(), this.journalOffset);
    if (torn) writeFileSync(keep, torn, { mode: FILE_MODE });
    const fd = openSync(this.journalPath, fsConstants.O_RDWR | fsConstants.O_NOFOLLOW);
    try {
      ftruncateSync(fd, this.journalOffset);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    this.report(
      "torn-tail",
      `journal ended in an incomplete write of ${size - this.journalOffset} bytes (a writer died mid-append); it was never acknowledged, was cut off, and is kept in ${keep}`,
    );
  }

  // ---------------------------------------------------------------------------------------------
  // Writing

  write<R>(fn: (tx: TxView) => R, options: WriteOptions = {}): Promise<R> {
    if (this.closed) return Promise.reject(new MemoryError("UNAVAILABLE", "the store is closed"));
    return new Promise<R>((resolve, reject) => {
      this.queue.push({
        fn,
        atomic: options.atomic ?? false,
        resolve: resolve as (v: unknown) => void,
        reject,
      });
      if (!this.flushing) this.flushing = this.flushLoop();
    });
  }

  private async flushLoop(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const group = this.queue.splice(0, MAX_GROUP);
        try {
          await this.withLock(() => this.commitGroup(group));
        } catch (error) {
          for (const t of group) t.reject(error);
        }
      }
    } finally {
      this.flushing = undefined;
    }
  }

  private async withLock<T>(fn: () => Promise<T> | T): Promise<T> {
    const lock =
      this.exclusiveLock ??
      (await acquireLock(this.dataPath, { staleMs: this.opts.lockStaleMs, log: this.log }));
    this.lock = lock;
    this.writing = true;
    try {
      // The lock was just made (or, held for the process's life, touched): its change time is the
      // kernel's, so one lstat keeps this writer's stamps in store time (clock.ts).
      try {
        this.clock.confirm(lstatSync(this.layout.lock).ctimeMs);
      } catch {
        this.clock.probe();
      }
      return await fn();
    } finally {
      this.writing = false;
      this.lock = undefined;
      if (lock !== this.exclusiveLock) await lock.release().catch(() => {});
    }
  }

  /**
   * Every change to the store's files is made only while the lock file still names this process:
   * checked right before each append, install, replace and cut. A process on this machine never
   * loses its lock while it lives; a holder on another machine can, after `lockStaleMs` without
   * running, and must then change nothing (what it had planned is answered as not stored).
   */
  private fence(what: string): void {
    if (this.lock?.stillHeld()) return;
    const detail = `this process no longer holds the store lock ${this.layout.lock} (another process took it over while this one was not running), so ${what} was not done`;
    this.report("lock-compromised", detail);
    throw new MemoryError("LOCK_BUSY", `${detail}: nothing was changed; retry`);
  }

  private async commitGroup(group: Txn[]): Promise<void> {
    this.refreshFiles(true);
    const now = this.clock.now();
    const staged = new Map<string, Entry | null>();
    const lines: string[] = [];
    const ops: Op[] = [];
    const outcomes: Array<{ ok: true; value: unknown } | { ok: false; error: unknown }> = [];
    let seq = this.seq;

    for (const txn of group) {
      const own = new Map<string, Entry | null>();
      const txOps: SimpleOp[] = [];
      const view: TxView = {
        now,
        get: (ns, key) => {
          const id = slot(ns, key);
          const hit = own.has(id) ? own.get(id) : staged.has(id) ? staged.get(id) : this.get(ns, key);
          return hit ?? undefined;
        },
        put: (entry) => {
          own.set(slot(entry.namespace, entry.key), entry);
          txOps.push({ op: "put", entry });
        },
        del: (ns, key) => {
          own.set(slot(ns, key), null);
          txOps.push({ op: "del", namespace: ns, key });
        },
      };
      try {
        const value = txn.fn(view);
        for (const [id, e] of own) staged.set(id, e);
        if (txn.atomic && txOps.length > 1) {
          const op: Op = { op: "batch", ops: txOps };
          ops.push(op);
          lines.push(encodeLine(this.generation, ++seq, op));
        } else {
          for (const op of txOps) {
            ops.push(op);
            lines.push(encodeLine(this.generation, ++seq, op));
          }
        }
        outcomes.push({ ok: true, value });
      } catch (error) {
        outcomes.push({ ok: false, error });
      }
    }

    if (lines.length > 0) {
      const before = this.journalOffset;
      const buf = Buffer.from(lines.join(""), "utf8");
      try {
        this.fence("the append");
      } catch (error) {
        for (const t of group) t.reject(error);
        return;
      }
      try {
        await this.append(buf);
      } catch (error) {
        await this.undoAppend(before);
        const e =
          ioError(error, "nothing was stored") ??
          new MemoryError(
            "IO_ERROR",
            `writing the journal failed: ${errorMessage(error)}; nothing was stored`,
          );
        for (const t of group) t.reject(e);
        return;
      }
      this.seq = seq;
      this.journalOffset = before + buf.length;
      this.journalRecords += lines.length;
      for (const op of ops) this.applyOp(op, this.journalOffset);
    }
    group.forEach((t, i) => {
      const o = outcomes[i];
      if (o?.ok) t.resolve(o.value);
      else t.reject(o?.error);
    });

    if (this.journalOffset >= this.opts.compactAfterBytes) {
      await this.compactLocked("journal reached store.compactAfterBytes").catch((error) =>
        this.log(`compaction failed (the journal keeps every write): ${errorMessage(error)}`),
      );
    }
  }

  /**
   * Called under the lock, right after refreshFiles(true) stat'ed the journal path. The journal
   * stays open between appends: when the open descriptor's inode is that journalIno, it is the file
   * the path names now (an inode cannot be reused while we hold it open), so writing through it is
   * writing to the path. Otherwise (first append, a missing journal, a compaction by any process)
   * it is reopened by path. Write and fdatasync are synchronous: a commit is a fraction of a
   * millisecond, and the thread-pool round trips of the async calls cost as much as an open.
   */
  private async append(buf: Buffer): Promise<void> {
    const created = this.journalIno === -1;
    let j = this.journalFd;
    if (j && (created || j.ino !== this.journalIno)) {
      this.closeJournalFd();
      j = undefined;
    }
    try {
      if (!j) {
        const fd = openJournalForAppend(this.journalPath);
        j = { fd, ino: fstatSync(fd).ino };
        this.journalFd = j;
      }
      let off = 0;
      while (off < buf.length) off += writeSync(j.fd, buf, off, buf.length - off);
      // The write is acknowledged to the agent after this returns: it must be on disk, not in cache.
      if (this.opts.fsync) fdatasyncSync(j.fd);
    } catch (error) {
      this.closeJournalFd();
      throw error;
    }
    if (created) this.journalIno = j.ino;
    // A new journal's directory entry must be durable too, or a crash could lose the whole file.
    if (created && this.opts.fsync) await fsyncDir(path.dirname(this.journalPath));
  }

  private closeJournalFd(): void {
    const j = this.journalFd;
    this.journalFd = undefined;
    if (j) {
      try {
        closeSync(j.fd);
      } catch {
        // already closed
      }
    }
  }

  private async undoAppend(size: number): Promise<void> {
    // Truncating a journal another writer appends to would cut its acknowledged lines.
    if (!this.lock?.stillHeld()) return;
    try {
      const handle = await open(this.journalPath, fsConstants.O_RDWR | fsConstants.O_NOFOLLOW);
      try {
        await handle.truncate(size);
        await handle.sync();
      } finally {
        await handle.close();
      }
    } catch {
      // The torn bytes stay; the next writer cuts them as a torn tail.
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Compaction and recovery

  async compact(reason = "requested"): Promise<CompactResult | undefined> {
    await this.settle();
    return this.withLock(async () => {
      this.refreshFiles(true);
      return this.compactLocked(reason);
    });
  }

  /** Waits until every queued write is committed. */
  private async settle(): Promise<void> {
    while (this.flushing) await this.flushing;
  }

  private async compactLocked(reason: string): Promise<CompactResult> {
    // Dropping expired entries destroys them: only what both clocks agree has expired, so a
    // process whose own clock runs ahead cannot drop anything early (clock.ts).
    const now = Math.min(Date.now(), this.clock.now());
    const isExpired = this.opts.isExpired;
    const dropped: Entry[] = [];
    const keep: Entry[] = [];
    for (const e of this.entries()) {
      if (isExpired?.(e, now)) dropped.push(e);
      else keep.push(e);
    }
    const nextGen = this.generation + 1;
    // What of this generation's journal the new snapshot holds: under the lock, right after a
    // replay that cut any torn tail, that is all of it.
    const folded: Folded = { gen: this.generation, bytes: this.journalOffset };
    await ensureDir(this.backupDir);
    const names = this.layout.backup(this.generation);
    const hadSnapshot = statOrUndefined(this.dataPath) !== undefined;
    const backups = this.opts.backupsKept > 0;
    const keptSnapshot = backups && hadSnapshot && (await this.keepAs(this.dataPath, names.snapshot));
    const written = await writeSnapshot(this.dataPath, nextGen, keep, keep.length, {
      fsync: this.opts.fsync,
      folded,
      beforeInstall: () => this.fence("installing the compacted snapshot"),
    });
    // From here the snapshot is the new generation; old-generation journal lines are ignored by
    // every reader, so moving the journal away can no longer lose anything. It is archived even
    // when no backups are kept: a late writer's lines after `folded` are read from there.
    const ino = await this.freshJournal(names.journal);
    if (this.opts.fsync) {
      await fsyncDir(path.dirname(this.dataPath));
      await fsyncDir(this.backupDir);
    }

    for (const e of dropped) this.state.del(e.namespace, e.key);
    this.generation = nextGen;
    this.seq = 0;
    this.journalOffset = 0;
    this.journalRecords = 0;
    this.journalIno = ino;
    const snap = statOrUndefined(this.dataPath);
    this.snapshotId = snap ? statId(snap) : "none";
    this.snapshotBytes = written.bytes;
    this.snapshotSum = written.sum;
    this.lastCompaction = new Date().toISOString();
    this.state.bump();

    const prune = () => pruneBackups(this.layout, this.opts.backupsKept);
    if (this.opts.concurrentBackups) {
      prune().catch((e) => this.log(`pruning backups failed: ${errorMessage(e)}`));
    } else {
      await prune();
    }
    this.log(
      `compacted (${reason}): generation ${nextGen}, ${keep.length} entries, ${dropped.length} expired dropped`,
    );
    return {
      generation: nextGen,
      entries: keep.length,
      dropped: dropped.length,
      bytes: written.bytes,
      ...(keptSnapshot ? { backup: names.snapshot } : {}),
    };
  }

  /**
   * Keeps `file` under `target` too (a hard link, else a copy). A target name taken by something
   * the store did not write (a folder, say) is left alone and reported: the backup of that
   * generation is skipped, compaction goes on. True when kept.
   */
  private async keepAs(file: string, target: string): Promise<boolean> {
    const st = await lstat(target).catch(() => undefined);
    if (st && !st.isFile()) {
      this.log(
        `${target} is not a file the store wrote (it is in the way of a backup of the same name): that backup was skipped; move it away to keep backups complete`,
      );
      return false;
    }
    try {
      await preserveSnapshot(file, target);
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return false;
      throw error;
    }
  }

  /**
   * Replaces the journal with an empty one in a single rename, so there is never a moment without
   * a journal (a missing journal next to a snapshot then always means damage, and is reported).
   * The old journal is kept under `keepAs` (a hard link, else a copy) when given.
   */
  private async freshJournal(keepAs: string | undefined): Promise<number> {
    const tmp = tempPathFor(this.journalPath);
    const handle = await open(tmp, "wx", FILE_MODE);
    try {
      if (this.opts.fsync) await handle.sync();
    } finally {
      await handle.close();
    }
    try {
      if (keepAs) await this.keepAs(this.journalPath, keepAs);
      this.fence("replacing the journal");
      await rename(tmp, this.journalPath);
    } catch (error) {
      await rm(tmp, { force: true });
      throw error;
    }
    return statSync(this.journalPath).ino;
  }

  /**
   * The snapshot is unusable. The state is rebuilt from the newest readable backup plus every
   * journal written since; without a usable backup we refuse and leave every file as it is.
   *
   * The order makes every step safe to be killed at: the damaged snapshot is first kept under a
   * second name in corrupt/ (a hard link: no copy), but its own name keeps pointing at it until
   * the rebuilt snapshot replaces it in one rename. A kill before that rename leaves the damaged
   * snapshot in place (the next process recovers again); after it, the rebuilt one. There is no
   * moment without a snapshot, which a restart would read as a new, empty store.
   */
  private async recover(why: string): Promise<void> {
    const sets = await listBackups(this.layout);
    const current = readRange(this.journalPath, 0, Number.POSITIVE_INFINITY);
    const currentRecords = current ? scanJournal(current, 0).records : [];
    // Every journal's records: a crash inside a compaction can leave one generation's lines in the
    // next generation's journal, so a file is not trusted to hold only its own generation.
    const records: JournalRecord[] = [...currentRecords];
    const covered = new Set<number>();
    for (const s of sets) {
      if (!s.journal) continue;
      covered.add(s.generation);
      const buf = readRange(s.journal, 0, Number.POSITIVE_INFINITY);
      if (buf) for (const r of scanJournal(buf, 0).records) records.push(r);
    }
    for (const r of records) covered.add(r.gen);
    // The damaged snapshot's generation: one past the newest compaction that left a backup, or
    // what the live journal says.
    const newestBackup = sets[sets.length - 1];
    const target = currentRecords.reduce(
      (g, r) => Math.max(g, r.gen),
      newestBackup ? newestBackup.generation + 1 : 0,
    );
    const candidates: Array<{ load: () => Promise<Snapshot>; bestEffort: boolean }> = sets
      .filter((s) => s.snapshot && s.generation < target)
      .reverse()
      .map((s) => ({ load: () => readSnapshot(s.snapshot as string), bestEffort: false }));
    const empty = async (): Promise<Snapshot> => ({ generation: 0, entries: [], damaged: [] });
    // A store starts empty: generation 0 needs no snapshot when its journal was kept.
    if (covered.has(0) && !sets.some((s) => s.generation === 0 && s.snapshot)) {
      candidates.push({ load: empty, bestEffort: false });
    }
    if (this.rebuildWithoutBackup) candidates.push({ load: empty, bestEffort: true });
    const gaps: string[] = [];
    for (const candidate of candidates) {
      let snap: Snapshot;
      try {
        snap = await candidate.load();
      } catch {
        continue;
      }
      // A backup with damaged entries cannot restore them: an older one (plus more journal) can.
      if (snap.damaged.length > 0 && !candidate.bestEffort) continue;
      // Replaying from this backup needs every generation's journal up to the damaged snapshot:
      // with one missing, the rebuilt state would silently lack that generation's writes.
      const missing: number[] = [];
      for (let g = snap.generation; g < target; g++) if (!covered.has(g)) missing.push(g);
      if (missing.length > 0 && !candidate.bestEffort) {
        gaps.push(
          `backup generation ${snap.generation} lacks the journal of generation ${missing.join(", ")}`,
        );
        continue;
      }
      const state = new Map<string, Entry>();
      for (const e of snap.entries) state.set(slot(e.namespace, e.key), e);
      // Generation order, and within a generation the order of the file (a stable sort): it is
      // the order the lines were appended in. The same line read twice (a journal that is also
      // archived under a second name) is applied once; two lines that merely share a seq (a
      // writer that lost its lock) are both applied.
      const replayed = records.filter((r) => r.gen >= snap.generation).sort((a, b) => a.gen - b.gen);
      const seen = new Set<string>();
      for (const r of replayed) {
        const id = `${r.gen}:${r.seq}:${r.ck}`;
        if (seen.has(id)) continue;
        seen.add(id);
        applyTo(state, r.change);
      }

      await ensureDir(this.corruptDir);
      const stamp = Date.now();
      const aside = this.layout.unreadableSnapshot(stamp);
      if (statOrUndefined(this.dataPath)) await preserveSnapshot(this.dataPath, aside);
      if (this.opts.fsync) await fsyncDir(this.corruptDir);
      const entries = [...state.values()];
      const nextGen = target + 1;
      await writeSnapshot(this.dataPath, nextGen, entries, entries.length, {
        fsync: this.opts.fsync,
        beforeInstall: () => this.fence("installing the rebuilt snapshot"),
      });
      // The live journal's lines are of generations up to `target`, all inside the rebuilt
      // snapshot: archived as that generation's journal, it keeps the backup chain unbroken.
      await ensureDir(this.backupDir);
      await this.freshJournal(this.layout.backup(target).journal);
      if (this.opts.fsync) await fsyncDir(path.dirname(this.dataPath));
      this.snapshotId = "";
      this.loadAll(true);
      this.report(
        "recovered-snapshot",
        `snapshot was unreadable (${why}); moved to ${aside} and rebuilt from backup generation ${snap.generation} plus journals: ${entries.length} entries`,
      );
      return;
    }
    throw new MemoryError(
      "CORRUPT_DATA",
      `${why}. No readable backup exists in ${this.backupDir}${gaps.length ? ` with every journal since (${gaps.join("; ")})` : ""}, so nothing was changed: restore the file from a copy, or run 'memory-bank index-validate --repair' to rebuild from what the journal holds`,
    );
  }

  // ---------------------------------------------------------------------------------------------

  /** See Backend.checkpoint: the snapshot installed (generation, size, checksum) and the journal applied onto it. */
  checkpoint(): StoreCheckpoint | undefined {
    if (this.snapshotSum === undefined || this.snapshotId === "" || this.snapshotId === "none")
      return undefined;
    const applied = readRange(this.journalPath, 0, this.journalOffset, this.journalIno);
    if (applied === undefined || applied === "replaced" || applied.length !== this.journalOffset)
      return undefined;
    return { base: this.baseId(), logBytes: applied.length, logCrc: crc32(applied) };
  }

  continues(p: StoreCheckpoint): boolean {
    if (this.snapshotSum === undefined || p.base !== this.baseId()) return false;
    const prefix = readRange(this.journalPath, 0, p.logBytes);
    return prefix !== undefined && prefix.length === p.logBytes && crc32(prefix) === p.logCrc;
  }

  private baseId(): string {
    return `${this.generation}:${this.snapshotBytes}:${(this.snapshotSum ?? 0).toString(16).padStart(8, "0")}`;
  }

  status(): StoreStatus {
    return {
      generation: this.generation,
      entries: this.state.size,
      journalBytes: this.journalOffset,
      journalRecords: this.journalRecords,
      snapshotBytes: this.snapshotBytes,
      ...(this.lastCompaction ? { lastCompaction: this.lastCompaction } : {}),
      revision: this.state.revision,
      problems: [...this.problems],
    };
  }

  /**
   * index-validate --repair: under the lock a final line without its newline can only be a torn
   * write (live writers hold the same lock), so it is cut, its bytes kept in backups/. Returns the
   * problems noticed on the way.
   */
  async repairTornTail(): Promise<StoreProblem[]> {
    await this.settle();
    const before = new Set(this.problems);
    await this.withLock(() => this.refreshFiles(true));
    return this.problems.filter((p) => !before.has(p));
  }

  /** For checks that promised to change nothing (index-validate without --repair). */
  keepJournalAtClose(): void {
    this.compactAtClose = false;
  }

  /** Inspection and repairs for the admin verbs (Backend.maintenance). */
  readonly maintenance: StoreMaintenance = {
    inspect: () => inspectFiles(this.dataPath),
    repairTornTail: () => this.repairTornTail(),
    keepAsIsAtClose: () => this.keepJournalAtClose(),
    usage: () => this.usage(),
    writerActive: () => isLocked(this.dataPath),
  };

  private async usage(): Promise<StorageUsage> {
    const [snapshot, journal, backupsBytes] = await Promise.all([
      stat(this.dataPath).catch(() => undefined),
      stat(this.journalPath).catch(() => undefined),
      backupBytes(this.backupDir),
    ]);
    return {
      snapshotBytes: snapshot?.size ?? 0,
      journalBytes: journal?.size ?? 0,
      backupsBytes,
      // The snapshot is only ever replaced by compaction or recovery, so its mtime dates the last one.
      ...(snapshot ? { lastCompaction: snapshot.mtime.toISOString() } : {}),
    };
  }

  /** Commits what is queued, compacts a non-empty journal, and releases an exclusive lock. */
  async close(): Promise<void> {
    if (this.closed) return;
    await this.settle();
    try {
      const j = statOrUndefined(this.journalPath);
      if (j && j.size > 0 && this.compactAtClose) await this.compact("clean shutdown");
    } catch (error) {
      this.log(`compaction at shutdown skipped (the journal keeps every write): ${errorMessage(error)}`);
    } finally {
      this.closed = true;
      this.closeJournalFd();
      await this.exclusiveLock?.release().catch(() => {});
    }
  }
}

function slot(namespace: string, key: string): string {
  return `${namespace}\u0000${key}`;
}

function applyTo(state: Map<string, Entry>, op: Op): void {
  if (op.op === "put") state.set(slot(op.entry.namespace, op.entry.key), op.entry);
  else if (op.op === "del") state.delete(slot(op.namespace, op.key));
  else for (const o of op.ops) applyTo(state, o);
}

/** A snapshot whose header and layout are sound but some of whose entry lines are not. */
class DamagedSnapshot extends MemoryError {
  constructor(
    file: string,
    readonly snapshot: Snapshot,
  ) {
    super(
      "CORRUPT_DATA",
      `${file} has ${snapshot.damaged.length} damaged entr${snapshot.damaged.length === 1 ? "y" : "ies"} (${[...new Set(snapshot.damaged.map((d) => d.reason))].join("; ")})`,
    );
  }
}

function linkRefused(file: string): MemoryError {
  return new MemoryError(
    "IO_ERROR",
    `${file} is a symbolic link: the store opens its own files without following links (a link could make it read or write a file elsewhere); replace the link with the file itself`,
  );
}

/** The store's files must be the files themselves: a link is refused before anything is read. */
function refuseLinks(files: string[]): void {
  for (const file of files) {
    let st: Stats;
    try {
      st = lstatSync(file);
    } catch {
      continue;
    }
    if (st.isSymbolicLink()) throw linkRefused(file);
  }
}

function openJournalForAppend(file: string): number {
  try {
    return openSync(
      file,
      fsConstants.O_WRONLY | fsConstants.O_APPEND | fsConstants.O_CREAT | fsConstants.O_NOFOLLOW,
      FILE_MODE,
    );
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ELOOP") throw linkRefused(file);
    throw error;
  }
}

function statOrUndefined(file: string): Stats | undefined {
  try {
    return statSync(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}

function statId(st: Stats): string {
  return `${st.ino}:${st.size}:${st.mtimeMs}`;
}

function readRange(file: string, from: number, to: number): Buffer | undefined;
function readRange(file: string, from: number, to: number, ino: number): Buffer | undefined | "replaced";
/** Reads bytes [from, to) of `file`; with `ino`, answers "replaced" when the file is another one now. */
function readRange(file: string, from: number, to: number, ino?: number): Buffer | undefined | "replaced" {
  let fd: number;
  try {
    fd = openSync(file, fsConstants.O_RDONLY | fsConstants.O_NOFOLLOW);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return undefined;
    if (code === "ELOOP") throw linkRefused(file);
    throw error;
  }
  try {
    const st = fstatSync(fd);
    if (ino !== undefined && ino !== -1 && st.ino !== ino) return "replaced";
    const end = Math.min(to, st.size);
    if (end <= from) return Buffer.alloc(0);
    const buf = Buffer.allocUnsafe(end - from);
    let off = 0;
    while (off < buf.length) {
      const n = readSync(fd, buf, off, buf.length - off, from + off);
      if (n === 0) break;
      off += n;
    }
    return off === buf.length ? buf : buf.subarray(0, off);
  } finally {
    closeSync(fd);
  }
}
