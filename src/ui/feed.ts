/**
 * The page's live feed, as server-sent events: every change applied to the store (this
 * process's writes and other processes', heard through the bank's change feed, with a short timer
 * as a fallback where the file system reports no changes),
 * batched a few times a second; and samples of the store's size and of entries per namespace,
 * taken through memory_stats, for the charts that grow while the page is open.
 */
import type { ServerResponse } from "node:http";
import type { BankChange, MemoryBank } from "../service/bank.js";
import { invoke } from "../service/operations/invoke.js";
import { type StatsOutput, statsOperation } from "../service/operations/stats.js";
import type { ChangeNote } from "./web/api.js";

export interface Sample {
  at: string;
  entries: number;
  namespaces: Record<string, number>;
  disk: StatsOutput["disk"];
}

/** How often other processes' writes are looked for while a page is open (two stat calls each). */
const FOLLOW_MS = 300;
/** Changes are sent in batches: one event per interval however many arrived. */
const FLUSH_MS = 250;
/** At most this many changes are listed per batch; the count is always complete. */
const LISTED = 200;
/** A sample after changes, at most this often; and one anyway this often. */
const SAMPLE_AFTER_CHANGE_MS = 5000;
const SAMPLE_IDLE_MS = 60_000;
/** Samples kept (a few hours at the busiest). */
const KEPT = 2000;
/** A comment line now and then keeps proxies and the browser from closing an idle stream. */
const KEEPALIVE_MS = 15_000;

export class Feed {
  private readonly clients = new Set<ServerResponse>();
  private pending: ChangeNote[] = [];
  private pendingCount = 0;
  private readonly samples: Sample[] = [];
  private lastSample = 0;
  private changedSinceSample = false;
  private sampling = false;
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly unsubscribe: () => void;

  constructor(
    private readonly bank: MemoryBank,
    private readonly log: (m: string) => void,
  ) {
    this.unsubscribe = bank.onChange((c) => {
      this.pendingCount++;
      this.changedSinceSample = true;
      if (this.pending.length < LISTED) this.pending.push(noteOf(c));
    });
    this.timers.push(
      setInterval(() => {
        // Reading follows what other processes committed, and that reaches onChange above.
        if (this.clients.size > 0) this.bank.read();
      }, FOLLOW_MS),
      setInterval(() => this.flush(), FLUSH_MS),
      setInterval(() => {
        const age = Date.now() - this.lastSample;
        if ((this.changedSinceSample && age >= SAMPLE_AFTER_CHANGE_MS) || age >= SAMPLE_IDLE_MS)
          void this.sample();
      }, 1000),
      setInterval(() => this.send(": keepalive\n\n"), KEEPALIVE_MS),
    );
    for (const t of this.timers) t.unref();
    void this.sample();
  }

  /** Starts an event stream on `res`: the samples so far first, then whatever happens. */
  subscribe(res: ServerResponse): void {
    res.writeHead(200, {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-store",
      "x-content-type-options": "nosniff",
    });
    res.write(`retry: 2000\nevent: samples\ndata: ${JSON.stringify(this.samples)}\n\n`);
    this.clients.add(res);
    res.on("close", () => this.clients.delete(res));
  }

  private flush(): void {
    if (this.pendingCount === 0) return;
    const data = JSON.stringify({
      count: this.pendingCount,
      changes: this.pending,
      revision: this.bank.status().revision,
    });
    this.pending = [];
    this.pendingCount = 0;
    this.send(`event: changes\ndata: ${data}\n\n`);
  }

  private async sample(): Promise<void> {
    if (this.sampling) return;
    this.sampling = true;
    this.changedSinceSample = false;
    this.lastSample = Date.now();
    try {
      // The same operation the page's namespace list uses; not recorded (no recorder): it is the
      // page's own bookkeeping, not a call anyone made.
      const outcome = await invoke(() => statsOperation.run(this.bank, {}, {}), { label: "ui:sample" });
      if (!outcome.ok) {
        this.log(`ui: could not sample the store's size: ${String(outcome.error)}`);
        return;
      }
      const s = outcome.output;
      const sample: Sample = {
        at: new Date(this.bank.now()).toISOString(),
        entries: s.entries,
        namespaces: Object.fromEntries(s.namespaces.map((n) => [n.namespace, n.entries])),
        disk: s.disk,
      };
      this.samples.push(sample);
      if (this.samples.length > KEPT) this.samples.splice(0, this.samples.length - KEPT);
      this.send(`event: sample\ndata: ${JSON.stringify(sample)}\n\n`);
    } finally {
      this.sampling = false;
    }
  }

  private send(text: string): void {
    for (const res of this.clients) res.write(text);
  }

  close(): void {
    for (const t of this.timers) clearInterval(t);
    this.unsubscribe();
    for (const res of this.clients) res.end();
    this.clients.clear();
  }
}

/** A change as the page hears it: which entry, never its value (the page reads what it shows). */
function noteOf(change: BankChange): ChangeNote {
  if (change.kind === "reset") return { kind: "reset" };
  const e = change.entry;
  return change.kind === "put"
    ? { kind: "put", namespace: e.namespace, key: e.key, version: e.version }
    : { kind: "del", namespace: e.namespace, key: e.key };
}
