/**
 * The page: namespaces, search and browse (paged by the query's cursor, so a namespace of any
 * size shows one page of rows at a time), the entry view with edit (guarded by ifVersion) and
 * delete, bulk deletes previewed by a dry run, import and export, the processes using the
 * store, the charts, and the live change feed. Every action is one operation call (api.ts).
 */
import {
  CallError,
  type ChangeBatch,
  call,
  type DeleteOutput,
  type Entry,
  type GetOutput,
  type GrowthOutput,
  type PerformanceReport,
  type ProcessInfo,
  type QueryOutput,
  type QueryResult,
  type Sample,
  type StatsOutput,
  upload,
} from "./api.js";
import { barChart, bytes, lineChart } from "./charts.js";
import { highlighted } from "./highlight.js";

const PAGE_SIZE = 50;

function $(id: string): HTMLElement {
  const e = document.getElementById(id);
  if (!e) throw new Error(`#${id} is missing from the page`);
  return e;
}
const input = (id: string) => $(id) as HTMLInputElement;
const select = (id: string) => $(id) as HTMLSelectElement;

function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string> = {},
  ...children: (Node | string)[]
): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") e.className = v;
    else e.setAttribute(k, v);
  }
  e.append(...children);
  return e;
}

function brief(value: unknown, max = 160): string {
  const s = typeof value === "string" ? value : JSON.stringify(value);
  return s.length > max ? `${s.slice(0, max)}…` : s;
}

function when(iso: string | undefined): string {
  return iso ? new Date(iso).toLocaleString() : "never";
}

function list(text: string): string[] {
  return text
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
}

let toastTimer: number | undefined;
function toast(text: string): void {
  const t = $("toast");
  t.textContent = text;
  t.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = window.setTimeout(() => {
    t.hidden = true;
  }, 4000);
}

function failure(error: unknown): string {
  return error instanceof CallError ? `${error.message} [${error.code}]` : String(error);
}

function confirmDialog(text: string, ok = "Delete"): Promise<boolean> {
  const dialog = $("confirm") as HTMLDialogElement;
  $("confirm-text").textContent = text;
  $("confirm-ok").textContent = ok;
  dialog.returnValue = "";
  dialog.showModal();
  ($("confirm-cancel") as HTMLButtonElement).focus();
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => resolve(dialog.returnValue === "ok"), { once: true });
  });
}

// -------------------------------------------------------------------------------------------------
// Views

type View = "browse" | "charts" | "processes" | "bulk" | "transfer";
let view: View = "browse";

function show(next: View): void {
  view = next;
  for (const b of document.querySelectorAll<HTMLButtonElement>("#views button")) {
    b.setAttribute("aria-pressed", String(b.dataset.view === next));
  }
  for (const v of ["browse", "charts", "processes", "bulk", "transfer"]) $(`view-${v}`).hidden = v !== next;
  if (next === "charts") void loadCharts();
  if (next === "processes") void loadProcesses();
}

// -------------------------------------------------------------------------------------------------
// Namespaces

let stats: StatsOutput | undefined;
/** The namespace being browsed ("" = all). */
let browsing = "";

async function loadNamespaces(): Promise<void> {
  stats = await call<StatsOutput>("memory_stats", {}, true);
  const ul = $("ns-list");
  const items = [
    { namespace: "", entries: stats.entries, byType: {} as Record<string, number>, expired: stats.expired },
    ...stats.namespaces,
  ].map((n) => {
    const types = Object.entries(n.byType)
      .map(([t, c]) => `${t} ${c}`)
      .join(" · ");
    const b = h(
      "button",
      { type: "button", "data-ns": n.namespace, "aria-current": String(n.namespace === browsing) },
      h("span", { class: "ns-name" }, n.namespace || "all namespaces"),
      h(
        "span",
        { class: "ns-meta" },
        `${n.entries} entries${n.expired ? `, ${n.expired} expired` : ""}${types ? ` · ${types}` : ""}`,
      ),
    );
    b.addEventListener("click", () => {
      browsing = n.namespace;
      select("ns-filter").value = n.namespace;
      input("q").value = "";
      for (const x of ul.querySelectorAll("button")) x.setAttribute("aria-current", "false");
      b.setAttribute("aria-current", "true");
      void search(true);
    });
    return h("li", {}, b);
  });
  ul.replaceChildren(...items);
  for (const id of ["ns-filter", "bulk-ns"]) {
    const s = select(id);
    const keep = s.value;
    const options = stats.namespaces.map((n) => h("option", { value: n.namespace }, n.namespace));
    s.replaceChildren(...(id === "ns-filter" ? [h("option", { value: "" }, "all")] : []), ...options);
    if ([...s.options].some((o) => o.value === keep)) s.value = keep;
  }
}

// -------------------------------------------------------------------------------------------------
// Search and browse

/** Cursors of the pages seen: cursors[i] fetches page i (undefined for the first). */
let cursors: (string | undefined)[] = [undefined];
let pageIndex = 0;
let results: QueryResult[] = [];
let lastQueryText = "";

function queryInput(): Record<string, unknown> {
  const text = input("q").value.trim();
  const mode = select("mode").value;
  const ns = select("ns-filter").value;
  const tags = list(input("tags").value);
  const since = input("since").value;
  const until = input("until").value;
  // A page is read by a person, not a model: the token budget answers keep for agents would cut
  // a page of long values short, so the page asks for the largest one.
  const q: Record<string, unknown> = { limit: PAGE_SIZE, maxTokens: 200_000 };
  if (text) {
    // exact mode looks keys up: a key, or a prefix ending in '*'.
    if (mode === "exact") {
      if (text.endsWith("*")) q.keyPrefix = text.slice(0, -1);
      else q.key = text;
    } else q.query = text;
    q.mode = mode;
  }
  if (ns) q.namespace = ns;
  if (select("type").value) q.type = select("type").value;
  if (tags.length) {
    q.tags = tags;
    q.tagMode = select("tag-mode").value;
  }
  if (since) q.since = new Date(since).toISOString();
  if (until) q.until = new Date(until).toISOString();
  if (input("expired").checked) q.includeExpired = true;
  return q;
}

async function search(fromStart: boolean): Promise<void> {
  if (fromStart) {
    cursors = [undefined];
    pageIndex = 0;
  }
  const q = queryInput();
  const cursor = cursors[pageIndex];
  if (cursor) q.cursor = cursor;
  const started = performance.now();
  const note = $("results-note");
  try {
    const out = await call<QueryOutput>("memory_query", q);
    lastQueryText = typeof q.query === "string" ? q.query : "";
    results = out.results;
    cursors[pageIndex + 1] = out.nextCursor;
    cursors.length = pageIndex + 2;
    renderResults(q);
    const ms = performance.now() - started;
    // Read by the benchmark and the tests: how long this page took from request to rows on screen.
    document.body.dataset.renderMs = ms.toFixed(1);
    document.body.dataset.renders = String(Number(document.body.dataset.renders ?? 0) + 1);
  } catch (error) {
    results = [];
    $("result-list").replaceChildren();
    note.className = "note error";
    note.textContent = failure(error);
  }
}

function renderResults(q: Record<string, unknown>): void {
  const ns = (q.namespace as string | undefined) ?? "";
  const text =
    (q.query as string | undefined) ?? (q.key as string | undefined) ?? (q.keyPrefix as string) ?? "";
  $("results-title").textContent = text
    ? `Results for “${text}”${ns ? ` in ${ns}` : ""}`
    : ns
      ? `Namespace ${ns}`
      : "All entries";
  const note = $("results-note");
  note.className = "note";
  note.textContent =
    results.length === 0
      ? "Nothing matched."
      : `${pageIndex * PAGE_SIZE + 1}–${pageIndex * PAGE_SIZE + results.length}${cursors[pageIndex + 1] ? " (more on the next page)" : ""}${text ? ", best first" : ", newest first"}`;
  const ol = $("result-list");
  ol.replaceChildren(
    ...results.map((r, i) => {
      const b = h(
        "button",
        { type: "button", "data-key": r.key, "data-ns": r.namespace, "data-index": String(i) },
        h("span", { class: "r-key" }, ...highlighted(r.key, lastQueryText)),
        h(
          "span",
          { class: "r-meta" },
          `${r.namespace} · ${r.type} · v${r.version} · ${when(r.updatedAt)}${lastQueryText ? ` · score ${r.score.toFixed(3)}` : ""} `,
          ...r.tags.map((t) => h("span", { class: "tag" }, ...highlighted(t, lastQueryText))),
        ),
        h("span", { class: "r-value" }, ...highlighted(brief(r.value), lastQueryText)),
      );
      if (selected && selected.namespace === r.namespace && selected.key === r.key)
        b.setAttribute("aria-current", "true");
      b.addEventListener("click", () => void openEntry(r.namespace, r.key));
      return h("li", {}, b);
    }),
  );
  ($("prev") as HTMLButtonElement).disabled = pageIndex === 0;
  ($("next") as HTMLButtonElement).disabled = !cursors[pageIndex + 1];
  $("page-no").textContent = results.length ? `page ${pageIndex + 1}` : "";
}

// -------------------------------------------------------------------------------------------------
// The entry view

let selected: { namespace: string; key: string } | undefined;
let shown: Entry | undefined;
let editing = false;
/** Counts openEntry calls, so only the latest one's answer is shown. */
let opening = 0;

async function openEntry(namespace: string, key: string): Promise<void> {
  selected = { namespace, key };
  editing = false;
  for (const b of $("result-list").querySelectorAll("button")) {
    const me = (b as HTMLElement).dataset.key === key && (b as HTMLElement).dataset.ns === namespace;
    b.setAttribute("aria-current", String(me));
  }
  const asked = ++opening;
  try {
    const out = await call<GetOutput>("memory_get", { namespace, key });
    // Closed, or another entry opened, while this one was on its way: it is not wanted any more.
    if (asked !== opening || selected?.namespace !== namespace || selected.key !== key) return;
    renderEntry(out);
  } catch (error) {
    $("entry").replaceChildren(h("p", { class: "error" }, failure(error)));
    $("entry").hidden = false;
  }
}

function closeEntry(): void {
  opening++;
  selected = undefined;
  shown = undefined;
  editing = false;
  $("entry").hidden = true;
}

function renderEntry(out: GetOutput): void {
  const panel = $("entry");
  panel.hidden = false;
  if (!out.found || !out.entry) {
    shown = undefined;
    panel.replaceChildren(
      h("h2", {}, selected?.key ?? ""),
      h("p", { class: "note" }, "This entry no longer exists (deleted or expired)."),
    );
    return;
  }
  const e = out.entry;
  shown = e;
  const meta = h("dl", { class: "meta" });
  const row = (k: string, v: Node | string) => meta.append(h("dt", {}, k), h("dd", {}, v));
  row("namespace", e.namespace);
  row("type", e.type);
  row("version", String(e.version));
  row("tags", e.tags.length ? h("span", {}, ...e.tags.map((t) => h("span", { class: "tag" }, t))) : "none");
  row("created", when(e.createdAt));
  row("updated", when(e.updatedAt));
  row("expires", when(out.expiresAt));
  row("id", e.id);
  const edit = h("button", { type: "button", id: "edit" }, "Edit");
  const del = h("button", { type: "button", id: "delete", class: "danger" }, "Delete");
  const close = h("button", { type: "button", id: "close-entry" }, "Close");
  edit.addEventListener("click", () => renderEditor(e));
  del.addEventListener("click", () => void deleteEntry(e));
  close.addEventListener("click", closeEntry);
  panel.replaceChildren(
    h("h2", { id: "entry-key" }, e.key),
    h("div", { id: "entry-notice" }),
    meta,
    h("h3", {}, "Value"),
    h("pre", { id: "entry-value", tabindex: "0" }, JSON.stringify(e.value, null, 2)),
    h("h3", {}, "Metadata"),
    h("pre", { id: "entry-metadata" }, JSON.stringify(e.metadata, null, 2)),
    h("div", { class: "actions" }, edit, del, close),
  );
}

function renderEditor(
  e: Entry,
  mine?: { value: string; tags: string; type: string; metadata: string },
): void {
  editing = true;
  const panel = $("entry");
  const value = h("textarea", { id: "edit-value", "aria-label": "Value (JSON, or plain text)" });
  value.value = mine?.value ?? JSON.stringify(e.value, null, 2);
  const tags = h("input", { id: "edit-tags", "aria-label": "Tags" });
  tags.value = mine?.tags ?? e.tags.join(", ");
  const type = h("select", { id: "edit-type", "aria-label": "Type" });
  for (const t of ["episodic", "semantic", "procedural", "meta", "performance"])
    type.append(h("option", {}, t));
  type.value = mine?.type ?? e.type;
  const metadata = h("textarea", { id: "edit-metadata", "aria-label": "Metadata (JSON object)" });
  metadata.value = mine?.metadata ?? JSON.stringify(e.metadata, null, 2);
  const save = h(
    "button",
    { type: "button", id: "save", class: "primary" },
    `Save (if still version ${e.version})`,
  );
  const cancel = h("button", { type: "button", id: "cancel-edit" }, "Cancel");
  const status = h("div", { id: "edit-status", role: "status" });
  cancel.addEventListener("click", () => void openEntry(e.namespace, e.key));
  save.addEventListener("click", async () => {
    let parsed: unknown;
    let meta: unknown;
    try {
      parsed = JSON.parse(value.value);
    } catch {
      parsed = value.value;
    }
    try {
      meta = JSON.parse(metadata.value || "{}");
    } catch (error) {
      status.replaceChildren(h("p", { class: "error" }, `metadata is not JSON: ${String(error)}`));
      return;
    }
    try {
      await call("memory_store", {
        namespace: e.namespace,
        key: e.key,
        value: parsed,
        tags: list(tags.value),
        type: type.value,
        metadata: meta,
        ifVersion: e.version,
      });
      toast(`Saved ${e.key}`);
      await openEntry(e.namespace, e.key);
    } catch (error) {
      if (error instanceof CallError && error.code === "VERSION_CONFLICT") {
        const current = Number(error.details?.current ?? Number.NaN);
        const mineNow = { value: value.value, tags: tags.value, type: type.value, metadata: metadata.value };
        const theirs = h("button", { type: "button", id: "conflict-reload" }, "Discard mine, show theirs");
        const overwrite = h(
          "button",
          { type: "button", id: "conflict-overwrite", class: "danger" },
          `Save mine over version ${current}`,
        );
        theirs.addEventListener("click", () => void openEntry(e.namespace, e.key));
        overwrite.addEventListener("click", async () => {
          const latest = await call<GetOutput>("memory_get", { namespace: e.namespace, key: e.key });
          if (latest.entry) renderEditor(latest.entry, mineNow);
        });
        status.replaceChildren(
          h(
            "div",
            { class: "conflict", id: "conflict" },
            h(
              "p",
              {},
              current > 0
                ? `Not saved: another writer changed this entry meanwhile (it is now at version ${current}, you edited version ${e.version}). Your text is still here.`
                : "Not saved: another writer deleted this entry meanwhile. Your text is still here.",
            ),
            h("p", { class: "note" }, error.message),
            h("div", { class: "actions" }, theirs, ...(current > 0 ? [overwrite] : [])),
          ),
        );
      } else status.replaceChildren(h("p", { class: "error" }, failure(error)));
    }
  });
  panel.replaceChildren(
    h("h2", { id: "entry-key" }, `Edit ${e.key}`),
    h("div", { id: "entry-notice" }),
    status,
    h("label", {}, "Value (JSON; anything else is stored as text)", value),
    h("label", {}, "Tags (comma-separated)", tags),
    h("label", {}, "Type", type),
    h("label", {}, "Metadata (JSON object)", metadata),
    h("div", { class: "actions" }, save, cancel),
  );
  value.focus();
}

async function deleteEntry(e: Entry): Promise<void> {
  if (!(await confirmDialog(`Delete '${e.key}' from namespace '${e.namespace}'? This cannot be undone.`)))
    return;
  try {
    const out = await call<DeleteOutput>("memory_delete", { namespace: e.namespace, key: e.key });
    toast(out.deleted ? `Deleted ${e.key}` : `${e.key} was already gone`);
    closeEntry();
    await Promise.all([search(false), loadNamespaces()]);
  } catch (error) {
    toast(failure(error));
  }
}

// -------------------------------------------------------------------------------------------------
// Bulk delete: always a dry run first, then the confirmed delete of what the preview counted.

async function bulkPreview(ev: Event): Promise<void> {
  ev.preventDefault();
  const out = $("bulk-result");
  const request: Record<string, unknown> = { namespace: select("bulk-ns").value };
  const prefix = input("bulk-prefix").value;
  const tags = list(input("bulk-tags").value);
  if (prefix) request.keyPrefix = prefix;
  if (tags.length) request.tags = tags;
  try {
    const dry = await call<DeleteOutput>("memory_delete", { ...request, dryRun: true });
    const go = h(
      "button",
      { type: "button", id: "bulk-delete", class: "danger" },
      `Delete ${dry.deleted} entries`,
    );
    if (dry.deleted === 0) go.setAttribute("disabled", "");
    go.addEventListener("click", async () => {
      if (
        !(await confirmDialog(
          `Delete ${dry.deleted} entries from '${dry.namespace}'? This cannot be undone.`,
        ))
      )
        return;
      try {
        const done = await call<DeleteOutput>("memory_delete", request);
        out.replaceChildren(
          h(
            "p",
            { class: "success", id: "bulk-done" },
            `Deleted ${done.deleted} entries from ${done.namespace}.`,
          ),
        );
        await loadNamespaces();
      } catch (error) {
        out.replaceChildren(h("p", { class: "error" }, failure(error)));
      }
    });
    out.replaceChildren(
      h(
        "p",
        { id: "bulk-count" },
        `${dry.deleted} entries in '${dry.namespace}' would be deleted${dry.truncated ? ` (first ${dry.keys.length} listed)` : ""}:`,
      ),
      h("ul", { class: "keys" }, ...dry.keys.slice(0, 50).map((k) => h("li", {}, k))),
      ...(dry.keys.length > 50 ? [h("p", { class: "note" }, `… and ${dry.deleted - 50} more`)] : []),
      go,
    );
  } catch (error) {
    out.replaceChildren(h("p", { class: "error" }, failure(error)));
  }
}

// -------------------------------------------------------------------------------------------------
// Import and export

async function exportNow(ev: Event): Promise<void> {
  ev.preventDefault();
  const out = $("export-result");
  const namespaces = list(input("export-ns").value);
  try {
    const r = await call<{ path: string; entries: number; bytes: number; sha256: string }>("export", {
      format: select("export-format").value,
      compress: input("export-gz").checked,
      ...(namespaces.length ? { namespaces } : {}),
    });
    const link = h(
      "a",
      { href: `/api/download?path=${encodeURIComponent(r.path)}`, download: "", id: "export-download" },
      "Download",
    );
    out.replaceChildren(
      h("p", { class: "success" }, `Exported ${r.entries} entries to ${r.path} (${bytes(r.bytes)}). `, link),
    );
  } catch (error) {
    out.replaceChildren(h("p", { class: "error" }, failure(error)));
  }
}

async function importNow(ev: Event): Promise<void> {
  ev.preventDefault();
  const out = $("import-result");
  const file = input("import-file").files?.[0];
  if (!file) return;
  const params: Record<string, string> = {
    format: select("import-format").value,
    onConflict: select("import-conflict").value,
  };
  if (input("import-ns").value) params.namespace = input("import-ns").value;
  out.replaceChildren(h("p", { class: "note" }, `Importing ${file.name}…`));
  try {
    const r = await upload<{
      read: number;
      stored: number;
      updated: number;
      skipped: number;
      failed: number;
      expired: number;
      format: string;
    }>(file, params);
    out.replaceChildren(
      h(
        "p",
        { class: r.failed ? "error" : "success" },
        `Imported ${file.name} (${r.format}): read ${r.read}, ${r.stored} new, ${r.updated} updated, ${r.skipped} skipped, ${r.expired} expired, ${r.failed} failed.`,
      ),
    );
    await loadNamespaces();
  } catch (error) {
    out.replaceChildren(h("p", { class: "error" }, failure(error)));
  }
}

// -------------------------------------------------------------------------------------------------
// Processes

async function loadProcesses(): Promise<void> {
  const all = input("proc-all").checked;
  try {
    const r = await call<{ processes: ProcessInfo[] }>("debug", { concurrent: true, all }, true);
    $("proc-summary").textContent =
      `${r.processes.filter((p) => p.status === "alive").length} running; ${r.processes.length} listed.`;
    $("proc-table")
      .querySelector("tbody")
      ?.replaceChildren(
        ...r.processes.map((p) =>
          h(
            "tr",
            { "data-pid": String(p.pid) },
            h("td", {}, String(p.pid)),
            h("td", {}, p.kind),
            h("td", {}, p.command ?? p.client ?? ""),
            h("td", {}, p.status),
            h("td", {}, when(p.startedAt)),
            h("td", {}, when(p.lastSeen)),
            h("td", {}, String(p.calls)),
            h("td", {}, String(p.errors)),
            h("td", {}, p.inFlight.map((f) => f.op).join(", ") || "idle"),
          ),
        ),
      );
  } catch (error) {
    $("proc-summary").textContent = failure(error);
  }
}

// -------------------------------------------------------------------------------------------------
// Charts

const samples: Sample[] = [];

async function loadCharts(): Promise<void> {
  try {
    const [perf, growth] = await Promise.all([
      call<PerformanceReport>("performance-report", { timeline: 40 }, true),
      call<GrowthOutput>("growth", { buckets: 40 }, true),
    ]);
    const tl = (perf.timeline ?? []).filter((p) => p.calls > 0);
    const times = tl.map((p) => Date.parse(p.to));
    lineChart($("chart-latency"), "latency over time", times, [
      { name: "p50", values: tl.map((p) => p.p50Ms) },
      { name: "p95", values: tl.map((p) => p.p95Ms) },
    ]);
    const all = perf.timeline ?? [];
    barChart(
      $("chart-throughput"),
      "calls per second over time",
      all.map((p) => Date.parse(p.to)),
      all.map((p) => p.callsPerSec),
    );
    // The busiest namespaces, so the chart stays readable with hundreds of them.
    const top = [...growth.series]
      .sort((a, b) => (b.counts.at(-1) ?? 0) - (a.counts.at(-1) ?? 0))
      .slice(0, 8)
      .map((s) => ({ name: s.namespace, values: s.counts }));
    lineChart(
      $("chart-growth"),
      "entries per namespace over time",
      growth.times.map((t) => Date.parse(t)),
      top,
    );
    $("perf-summary").textContent =
      `${perf.sessions} session records (${perf.alive} running)${perf.since ? ` since ${when(perf.since)}` : ""}: ${perf.calls} calls, ${perf.errors} errors, ${perf.retries} retries.`;
    $("perf-table")
      .querySelector("tbody")
      ?.replaceChildren(
        ...perf.operations.map((o) =>
          h(
            "tr",
            {},
            h("td", {}, o.op),
            h("td", {}, String(o.count)),
            h("td", {}, String(o.errors)),
            h("td", {}, String(o.p50Ms)),
            h("td", {}, String(o.p95Ms)),
            h("td", {}, String(o.maxMs)),
            h("td", {}, o.itemsPerSec !== undefined ? String(o.itemsPerSec) : ""),
          ),
        ),
      );
  } catch (error) {
    toast(failure(error));
  }
  drawSize();
}

function drawSize(): void {
  const times = samples.map((s) => Date.parse(s.at));
  lineChart(
    $("chart-size"),
    "store size on disk over time",
    times,
    [
      { name: "snapshot", values: samples.map((s) => s.disk.snapshotBytes) },
      { name: "journal", values: samples.map((s) => s.disk.journalBytes) },
      { name: "backups", values: samples.map((s) => s.disk.backupsBytes) },
      {
        name: "total",
        values: samples.map((s) => s.disk.snapshotBytes + s.disk.journalBytes + s.disk.backupsBytes),
      },
    ],
    bytes,
  );
}

// -------------------------------------------------------------------------------------------------
// The live feed

let refreshTimer: number | undefined;
let lastRefresh = 0;
const touchedSince = new Set<string>();
let resetSince = false;
/**
 * At most one refresh a second however fast other processes write: on a large store each one
 * re-reads the namespace counts and the page shown, and the page must not keep the server busy.
 */
const REFRESH_EVERY_MS = 1000;

function scheduleRefresh(touched: Set<string>, all: boolean): void {
  for (const ns of touched) touchedSince.add(ns);
  resetSince ||= all;
  if (refreshTimer !== undefined) return;
  const wait = Math.max(200, lastRefresh + REFRESH_EVERY_MS - Date.now());
  refreshTimer = window.setTimeout(() => {
    refreshTimer = undefined;
    lastRefresh = Date.now();
    const ns = select("ns-filter").value;
    const affected = resetSince || ns === "" || touchedSince.has(ns);
    touchedSince.clear();
    resetSince = false;
    void loadNamespaces();
    if (view === "browse" && affected) void search(false);
    if (view === "charts") void loadCharts();
  }, wait);
}

function onChanges(batch: ChangeBatch): void {
  const feed = $("feed-list");
  const stamp = new Date().toLocaleTimeString();
  const touched = new Set<string>();
  let reset = false;
  for (const c of batch.changes) {
    if (c.kind === "reset") {
      reset = true;
      continue;
    }
    touched.add(c.namespace);
    const text =
      c.kind === "put" ? `stored ${c.namespace}/${c.key} (v${c.version})` : `deleted ${c.namespace}/${c.key}`;
    feed.prepend(h("li", {}, h("span", { class: "when" }, stamp), text));
    if (shown && selected && c.namespace === selected.namespace && c.key === selected.key) {
      const newer = c.kind === "del" || c.version !== shown.version;
      if (newer && !editing) void openEntry(c.namespace, c.key);
      else if (newer)
        $("entry-notice").replaceChildren(
          h(
            "p",
            { class: "changed", id: "changed-elsewhere" },
            c.kind === "del"
              ? "This entry was just deleted by another writer."
              : `This entry was just changed by another writer (now version ${c.version}); saving will report a conflict.`,
          ),
        );
    }
  }
  if (batch.count > batch.changes.length)
    feed.prepend(
      h("li", {}, h("span", { class: "when" }, stamp), `${batch.count - batch.changes.length} more changes`),
    );
  while (feed.children.length > 200) feed.lastElementChild?.remove();
  scheduleRefresh(touched, reset);
}

function connect(): void {
  const live = $("live");
  const events = new EventSource("/api/events");
  events.addEventListener("open", () => {
    live.className = "live on";
    live.textContent = "live";
  });
  events.addEventListener("error", () => {
    live.className = "live off";
    live.textContent = "reconnecting…";
  });
  events.addEventListener("changes", (e) => onChanges(JSON.parse((e as MessageEvent).data) as ChangeBatch));
  events.addEventListener("samples", (e) => {
    samples.splice(0, samples.length, ...(JSON.parse((e as MessageEvent).data) as Sample[]));
    if (view === "charts") drawSize();
  });
  events.addEventListener("sample", (e) => {
    samples.push(JSON.parse((e as MessageEvent).data) as Sample);
    if (view === "charts") drawSize();
  });
}

// -------------------------------------------------------------------------------------------------
// Keyboard: '/' searches, arrows or j/k move through the results, Escape closes the entry.

function onKey(ev: KeyboardEvent): void {
  const target = ev.target as HTMLElement;
  const typing = target.matches("input, textarea, select");
  if (ev.key === "/" && !typing) {
    ev.preventDefault();
    input("q").focus();
    return;
  }
  if (ev.key === "Escape" && !($("confirm") as HTMLDialogElement).open && !$("entry").hidden) {
    const key = selected?.key;
    closeEntry();
    const back = [...$("result-list").querySelectorAll<HTMLElement>("button")].find(
      (b) => b.dataset.key === key,
    );
    back?.focus();
    return;
  }
  if (typing) return;
  const buttons = [...$("result-list").querySelectorAll<HTMLButtonElement>("button")];
  const at = buttons.indexOf(document.activeElement as HTMLButtonElement);
  const down = ev.key === "ArrowDown" || ev.key === "j";
  const up = ev.key === "ArrowUp" || ev.key === "k";
  if ((down || up) && buttons.length > 0 && (at >= 0 || target === document.body)) {
    ev.preventDefault();
    const next = at < 0 ? 0 : Math.max(0, Math.min(buttons.length - 1, at + (down ? 1 : -1)));
    buttons[next]?.focus();
  }
}

// -------------------------------------------------------------------------------------------------

async function start(): Promise<void> {
  for (const b of document.querySelectorAll<HTMLButtonElement>("#views button")) {
    b.addEventListener("click", () => show(b.dataset.view as View));
  }
  $("search").addEventListener("submit", (ev) => {
    ev.preventDefault();
    browsing = select("ns-filter").value;
    void search(true);
  });
  $("prev").addEventListener("click", () => {
    pageIndex = Math.max(0, pageIndex - 1);
    void search(false);
  });
  $("next").addEventListener("click", () => {
    if (!cursors[pageIndex + 1]) return;
    pageIndex++;
    void search(false);
  });
  $("bulk-form").addEventListener("submit", (ev) => void bulkPreview(ev));
  $("export-form").addEventListener("submit", (ev) => void exportNow(ev));
  $("import-form").addEventListener("submit", (ev) => void importNow(ev));
  $("proc-all").addEventListener("change", () => void loadProcesses());
  document.addEventListener("keydown", onKey);
  window.setInterval(() => {
    if (view === "processes") void loadProcesses();
  }, 5000);
  connect();
  await loadNamespaces();
  // Open on the biggest namespace: what there is most of to look at.
  const biggest = [...(stats?.namespaces ?? [])].sort((a, b) => b.entries - a.entries)[0];
  if (biggest) {
    browsing = biggest.namespace;
    select("ns-filter").value = biggest.namespace;
    for (const b of $("ns-list").querySelectorAll<HTMLElement>("button"))
      b.setAttribute("aria-current", String(b.dataset.ns === biggest.namespace));
  }
  await search(true);
  document.body.dataset.ready = "true";
}

void start();
