/**
 * The page's HTML shell and style sheet. The behaviour is in web/ (compiled to plain scripts);
 * nothing here or there loads from anywhere but this server.
 */

export const PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Memory Bank</title>
<link rel="stylesheet" href="/app/style.css">
<script type="module" src="/app/app.js"></script>
</head>
<body>
<header>
  <h1>Memory Bank</h1>
  <form id="search" role="search">
    <label class="grow">Search <input id="q" type="search" placeholder="words, typos welcome ( / )" autocomplete="off"></label>
    <label>Mode <select id="mode">
      <option value="hybrid">hybrid</option><option value="fulltext">fulltext</option>
      <option value="fuzzy">fuzzy</option><option value="exact">exact (key / prefix)</option>
      <option value="semantic">semantic</option></select></label>
    <label>Namespace <select id="ns-filter"><option value="">all</option></select></label>
    <details id="filters"><summary>Filters</summary>
      <label>Type <select id="type"><option value="">any</option>
        <option>episodic</option><option>semantic</option><option>procedural</option><option>meta</option><option>performance</option></select></label>
      <label>Tags <input id="tags" placeholder="a, b"></label>
      <label>Tags must <select id="tag-mode"><option value="all">all match</option><option value="any">any match</option></select></label>
      <label>Updated since <input id="since" type="datetime-local"></label>
      <label>until <input id="until" type="datetime-local"></label>
      <label class="check"><input id="expired" type="checkbox"> include expired</label>
    </details>
    <button type="submit">Search</button>
  </form>
  <span id="live" class="live" role="status" aria-live="polite">connecting…</span>
</header>
<nav id="views" aria-label="Views">
  <button type="button" data-view="browse" aria-pressed="true">Browse</button>
  <button type="button" data-view="charts" aria-pressed="false">Charts</button>
  <button type="button" data-view="processes" aria-pressed="false">Processes</button>
  <button type="button" data-view="bulk" aria-pressed="false">Delete many</button>
  <button type="button" data-view="transfer" aria-pressed="false">Import / export</button>
</nav>
<main>
  <section id="view-browse" class="view browse">
    <aside id="namespaces" aria-label="Namespaces"><h2>Namespaces</h2><ul id="ns-list"></ul></aside>
    <section id="results" aria-label="Entries">
      <h2 id="results-title">Entries</h2>
      <p id="results-note" class="note"></p>
      <ol id="result-list" class="results"></ol>
      <div class="pager">
        <button type="button" id="prev" disabled>Previous page</button>
        <span id="page-no"></span>
        <button type="button" id="next" disabled>Next page</button>
      </div>
    </section>
    <section id="entry" aria-label="Entry" hidden></section>
  </section>
  <section id="view-charts" class="view" hidden>
    <div class="charts">
      <figure><figcaption>Operation latency over time (ms, p50 and p95)</figcaption><div id="chart-latency" class="chart"></div></figure>
      <figure><figcaption>Throughput over time (calls per second)</figcaption><div id="chart-throughput" class="chart"></div></figure>
      <figure><figcaption>Live entries per namespace over time (by creation)</figcaption><div id="chart-growth" class="chart"></div></figure>
      <figure><figcaption>Store size on disk (sampled while this page is open)</figcaption><div id="chart-size" class="chart"></div></figure>
    </div>
    <h2>Operations</h2>
    <p id="perf-summary" class="note"></p>
    <div class="scroll"><table id="perf-table"><thead><tr><th>operation</th><th>calls</th><th>errors</th><th>p50 ms</th><th>p95 ms</th><th>max ms</th><th>items/s</th></tr></thead><tbody></tbody></table></div>
  </section>
  <section id="view-processes" class="view" hidden>
    <h2>Processes using the store</h2>
    <label class="check"><input id="proc-all" type="checkbox"> also ended and stale records</label>
    <p id="proc-summary" class="note"></p>
    <div class="scroll"><table id="proc-table"><thead><tr><th>pid</th><th>kind</th><th>command / client</th><th>status</th><th>started</th><th>last seen</th><th>calls</th><th>errors</th><th>doing now</th></tr></thead><tbody></tbody></table></div>
  </section>
  <section id="view-bulk" class="view" hidden>
    <h2>Delete many entries</h2>
    <form id="bulk-form">
      <label>Namespace <select id="bulk-ns"></select></label>
      <label>Key prefix <input id="bulk-prefix" placeholder="task/"></label>
      <label>Tags (all of) <input id="bulk-tags" placeholder="a, b"></label>
      <button type="submit">Preview (dry run)</button>
    </form>
    <div id="bulk-result" role="status"></div>
  </section>
  <section id="view-transfer" class="view" hidden>
    <h2>Export</h2>
    <form id="export-form">
      <label>Namespaces <input id="export-ns" placeholder="all"></label>
      <label>Format <select id="export-format"><option value="json">json</option><option value="jsonl">jsonl</option></select></label>
      <label class="check"><input id="export-gz" type="checkbox"> gzip</label>
      <button type="submit">Export</button>
    </form>
    <div id="export-result" role="status"></div>
    <h2>Import</h2>
    <form id="import-form">
      <label>File <input id="import-file" type="file" required></label>
      <label>Format <select id="import-format"><option value="auto">auto</option><option>json</option><option>jsonl</option><option>snapshot</option><option value="mcp-memory">mcp-memory</option></select></label>
      <label>Into namespace <input id="import-ns" placeholder="each entry's own"></label>
      <label>When a key exists <select id="import-conflict"><option value="overwrite">overwrite</option><option value="skip">skip</option><option value="error">report an error</option></select></label>
      <button type="submit">Import</button>
    </form>
    <div id="import-result" role="status"></div>
  </section>
</main>
<aside id="feed" aria-label="Live changes"><h2>Live changes</h2><ol id="feed-list"></ol></aside>
<dialog id="confirm"><form method="dialog"><p id="confirm-text"></p>
  <menu><button value="cancel" id="confirm-cancel">Cancel</button><button value="ok" id="confirm-ok" class="danger">Delete</button></menu></form></dialog>
<div id="toast" role="alert" hidden></div>
</body>
</html>
`;

export const PAGE_CSS = `
:root { --bg:#fbfbfa; --fg:#1d1f21; --muted:#5d6369; --line:#d9dcdf; --accent:#2458b3; --hl:#ffe58a; --danger:#b3261e; --ok:#1f7a3a;
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; font-size: 15px; color: var(--fg); background: var(--bg); }
* { box-sizing: border-box; }
body { margin: 0; display: grid; grid-template-columns: 1fr 260px; grid-template-rows: auto auto 1fr; grid-template-areas: "head head" "nav nav" "main feed"; min-height: 100vh; }
header { grid-area: head; display: flex; flex-wrap: wrap; gap: .5rem 1rem; align-items: end; padding: .6rem 1rem; border-bottom: 1px solid var(--line); background: #fff; }
h1 { font-size: 1.15rem; margin: 0 1rem .35rem 0; }
h2 { font-size: 1rem; margin: .8rem 0 .4rem; }
form { display: flex; flex-wrap: wrap; gap: .5rem; align-items: end; }
#search { flex: 1 1 600px; }
label { display: flex; flex-direction: column; font-size: .8rem; color: var(--muted); gap: .15rem; }
label.check { flex-direction: row; align-items: center; gap: .35rem; }
label.grow { flex: 1 1 220px; }
input, select, button, textarea { font: inherit; color: var(--fg); }
input, select, textarea { border: 1px solid var(--line); border-radius: 4px; padding: .3rem .45rem; background: #fff; }
button { border: 1px solid var(--line); border-radius: 4px; padding: .3rem .7rem; background: #f1f3f5; cursor: pointer; }
button:hover { background: #e7eaee; }
button.primary { background: var(--accent); color: #fff; border-color: var(--accent); }
button.danger { background: var(--danger); color: #fff; border-color: var(--danger); }
button:disabled { opacity: .5; cursor: default; }
:focus-visible { outline: 2px solid var(--accent); outline-offset: 1px; }
details { display: flex; flex-wrap: wrap; gap: .5rem; }
details[open] { flex-basis: 100%; display: flex; }
details summary { cursor: pointer; font-size: .85rem; color: var(--accent); padding: .35rem 0; }
details[open] > label { display: inline-flex; margin: 0 .5rem .3rem 0; }
nav { grid-area: nav; display: flex; flex-wrap: wrap; gap: .25rem; padding: .4rem 1rem; border-bottom: 1px solid var(--line); }
nav button[aria-pressed="true"] { background: var(--accent); color: #fff; border-color: var(--accent); }
main { grid-area: main; padding: 0 1rem 1rem; min-width: 0; }
.view.browse { display: grid; grid-template-columns: 220px minmax(0, 1fr) minmax(0, 1fr); gap: 1rem; }
.view.browse:has(#entry[hidden]) { grid-template-columns: 220px minmax(0, 1fr); }
.view[hidden], [hidden] { display: none !important; }
#ns-list, #feed-list { list-style: none; padding: 0; margin: 0; }
#ns-list button { width: 100%; text-align: left; display: flex; flex-direction: column; background: none; border: 0; border-left: 3px solid transparent; border-radius: 0; padding: .35rem .5rem; }
#ns-list button[aria-current="true"] { border-left-color: var(--accent); background: #eef3fb; }
.ns-name { font-weight: 600; overflow-wrap: anywhere; }
.ns-meta { font-size: .78rem; color: var(--muted); }
.results { list-style: none; margin: 0; padding: 0; }
.results li { border-bottom: 1px solid var(--line); }
.results li button { width: 100%; text-align: left; background: none; border: 0; border-radius: 0; padding: .45rem .4rem; display: grid; gap: .15rem; }
.results li button[aria-current="true"] { background: #eef3fb; }
.r-key { font-weight: 600; overflow-wrap: anywhere; }
.r-meta { font-size: .78rem; color: var(--muted); }
.r-value { font-size: .85rem; color: #33383d; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
mark { background: var(--hl); color: inherit; padding: 0 1px; border-radius: 2px; }
.tag { display: inline-block; font-size: .75rem; background: #e9eef5; border-radius: 10px; padding: 0 .45rem; margin-right: .2rem; }
.pager { display: flex; gap: .5rem; align-items: center; padding: .5rem 0; }
.note { color: var(--muted); font-size: .85rem; margin: .2rem 0 .5rem; }
#entry { border-left: 1px solid var(--line); padding-left: 1rem; min-width: 0; }
#entry pre, #entry textarea { width: 100%; max-height: 60vh; overflow: auto; background: #fff; border: 1px solid var(--line); border-radius: 4px; padding: .5rem; font: .85rem/1.35 ui-monospace, SFMono-Regular, Menlo, monospace; white-space: pre-wrap; overflow-wrap: anywhere; }
#entry textarea { min-height: 14rem; }
dl.meta { display: grid; grid-template-columns: max-content 1fr; gap: .2rem .8rem; font-size: .85rem; margin: .4rem 0; }
dl.meta dt { color: var(--muted); }
dl.meta dd { margin: 0; overflow-wrap: anywhere; }
.actions { display: flex; flex-wrap: wrap; gap: .5rem; margin: .5rem 0; }
.conflict, .error { border: 1px solid var(--danger); background: #fdecea; color: #5f1410; padding: .5rem .7rem; border-radius: 4px; margin: .5rem 0; }
.success { border: 1px solid var(--ok); background: #e8f5ec; padding: .5rem .7rem; border-radius: 4px; margin: .5rem 0; }
.changed { border: 1px solid #c98a00; background: #fff6dd; padding: .4rem .7rem; border-radius: 4px; margin: .5rem 0; font-size: .9rem; }
#feed { grid-area: feed; border-left: 1px solid var(--line); padding: 0 .8rem; font-size: .8rem; max-height: 100vh; overflow: auto; background: #fff; }
#feed-list li { padding: .25rem 0; border-bottom: 1px dashed var(--line); overflow-wrap: anywhere; }
#feed-list .when { color: var(--muted); margin-right: .3rem; }
.live { font-size: .8rem; color: var(--muted); margin-bottom: .4rem; }
.live.on::before { content: "●"; color: var(--ok); margin-right: .3rem; }
.live.off::before { content: "●"; color: var(--danger); margin-right: .3rem; }
.charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(340px, 1fr)); gap: 1rem; margin-top: .8rem; }
figure { margin: 0; background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: .6rem; }
figcaption { font-size: .85rem; font-weight: 600; margin-bottom: .3rem; }
.chart svg { width: 100%; height: auto; display: block; }
.chart .axis { stroke: #9aa0a6; stroke-width: 1; }
.chart .grid { stroke: #eceef0; stroke-width: 1; }
.chart text { font-size: 10px; fill: #5d6369; }
.chart .empty { color: var(--muted); font-size: .85rem; padding: 2rem 0; text-align: center; }
.legend { display: flex; flex-wrap: wrap; gap: .2rem .8rem; font-size: .75rem; margin-top: .3rem; }
.legend span::before { content: ""; display: inline-block; width: .7rem; height: .7rem; margin-right: .25rem; vertical-align: -1px; background: var(--c); border-radius: 2px; }
table { border-collapse: collapse; width: 100%; font-size: .85rem; }
th, td { text-align: left; padding: .3rem .5rem; border-bottom: 1px solid var(--line); white-space: nowrap; }
.scroll { overflow-x: auto; }
dialog { border: 1px solid var(--line); border-radius: 6px; max-width: min(90vw, 480px); }
dialog menu { display: flex; justify-content: flex-end; gap: .5rem; padding: 0; margin: 1rem 0 0; }
#toast { position: fixed; bottom: 1rem; left: 50%; transform: translateX(-50%); background: #1d1f21; color: #fff; padding: .5rem 1rem; border-radius: 4px; font-size: .9rem; max-width: 90vw; }
@media (max-width: 900px) {
  body { grid-template-columns: 1fr; grid-template-areas: "head" "nav" "main" "feed"; }
  #feed { border-left: 0; border-top: 1px solid var(--line); max-height: 14rem; }
  .view.browse, .view.browse:has(#entry[hidden]) { grid-template-columns: 1fr; }
  #entry { border-left: 0; padding-left: 0; border-top: 1px solid var(--line); }
  #namespaces { max-height: 12rem; overflow: auto; }
}
`;
