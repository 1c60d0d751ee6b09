/**
 * Knowing when another process wrote, without polling. Every commit appends to the journal and
 * every compaction renames a new snapshot and journal into place, so a watch on the store's
 * directory (inotify on Linux, FSEvents on macOS, ReadDirectoryChangesW on Windows) hears of
 * each one as it happens and costs nothing while nothing changes. Events are coalesced over a
 * short window: a burst of appends from a batch becomes one refresh, and the delay a subscriber
 * sees is bounded by that window plus the time the event takes to arrive.
 */
import { type FSWatcher, watch } from "node:fs";
import path from "node:path";
import { errorMessage } from "../../domain/errors.js";
import type { StoreLayout } from "../layout.js";

/** How long events are gathered before the listener runs once for all of them. */
export const COALESCE_MS = 15;

/**
 * Calls `listener` after the snapshot or the journal of `layout` changed (coalesced); returns
 * the function that stops watching. The watch never keeps the process alive. If the directory
 * cannot be watched (a file system without change events), it says so once and the store is
 * followed at each read as before.
 */
export function watchStoreFiles(
  layout: StoreLayout,
  listener: () => void,
  log: (message: string) => void,
): () => void {
  const names = new Set([path.basename(layout.snapshot), path.basename(layout.journal)]);
  let timer: NodeJS.Timeout | undefined;
  let watcher: FSWatcher | undefined;
  const fire = () => {
    timer = undefined;
    listener();
  };
  try {
    watcher = watch(layout.dir, { persistent: false }, (_event, name) => {
      // Some platforms omit the name: then any change may be ours to read.
      if (name !== null && !names.has(name.toString())) return;
      timer ??= setTimeout(fire, COALESCE_MS);
      timer.unref();
    });
    watcher.on("error", (error) => {
      log(`change notifications stopped: cannot watch ${layout.dir} (${errorMessage(error)})`);
      watcher?.close();
    });
  } catch (error) {
    log(
      `change notifications are off: cannot watch ${layout.dir} (${errorMessage(error)}); other processes' writes are seen at the next read`,
    );
  }
  return () => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    watcher?.close();
    watcher = undefined;
  };
}
