/**
 * npm run bench:ui [-- --entries 100000] [-- --dir DIR (keep the filled store there)] [-- --screenshots]
 *
 * The web page in headless Chromium over a store of `--entries` entries (default 100k, most in
 * one namespace): time to the first render of that namespace (page load to rows on screen, and
 * one page fetched again) and of a search, as the median of several runs. With --screenshots it
 * instead fills a small realistic store and writes the README's pictures to docs/images/.
 * Chromium: MEMORY_BANK_CHROMIUM, else /usr/bin/chromium (Debian's `chromium` package).
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, realpathSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { type Browser, chromium, type Page } from "playwright-core";
import { resolveConfig } from "../src/config/config.js";
import { MemoryBank } from "../src/service/bank.js";
import { startUi } from "../src/ui/server.js";
import { ROOT } from "./lib/servers.js";

const WORDS =
  "database migration schema index replication backup auth token session cache latency queue worker deploy rollback release feature flag config secret rotation review decision owner incident alert metric budget".split(
    " ",
  );

function browserPath(): string {
  const p = process.env.MEMORY_BANK_CHROMIUM ?? "/usr/bin/chromium";
  if (!existsSync(p))
    throw new Error(`no Chromium at ${p}: apt-get install chromium, or set MEMORY_BANK_CHROMIUM`);
  return p;
}

function launch(): Promise<Browser> {
  const root = typeof process.getuid === "function" && process.getuid() === 0;
  return chromium.launch({ executablePath: browserPath(), args: root ? ["--no-sandbox"] : [] });
}

/** The page's document, as seen from a function run in the page (this file has no DOM types). */
type PageGlobals = { document: { body: { dataset: Record<string, string> } } };

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? 0;
}

async function fill(dir: string, total: number, namespaces: Record<string, number>): Promise<void> {
  const bank = await MemoryBank.open(resolveConfig({}, dir), { log: () => {} });
  let rng = 42;
  const rand = () => {
    rng = (rng * 1103515245 + 12345) % 2 ** 31;
    return rng / 2 ** 31;
  };
  const word = () => WORDS[Math.floor(rand() * WORDS.length)] as string;
  const now = bank.now();
  const names = Object.entries(namespaces);
  let made = 0;
  for (const [ns, share] of names) {
    const count = Math.round(total * share);
    for (let start = 0; start < count; start += 5000) {
      const entries = [];
      for (let i = start; i < Math.min(count, start + 5000); i++) {
        const created = new Date(now - Math.floor((1 - (made + i) / total) * 14 * 86_400_000)).toISOString();
        entries.push({
          key: `${word()}/${word()}-${i}`,
          namespace: ns,
          value: {
            note: `${word()} ${word()} ${word()} for the ${word()} ${word()}`,
            step: i,
            owner: word(),
          },
          tags: [word(), word()],
          type: i % 7 === 0 ? "episodic" : "semantic",
          createdAt: created,
          updatedAt: created,
        });
      }
      await bank.batchStore({ entries } as never, {}, { preserve: true });
    }
    made += count;
  }
  await bank.close();
}

async function measure(total: number, keep: string | undefined): Promise<void> {
  const dir = keep ?? realpathSync(mkdtempSync(path.join(os.tmpdir(), "memory-bank-ui-bench-")));
  try {
    if (!existsSync(path.join(dir, "memory"))) {
      process.stderr.write(`filling ${total} entries…\n`);
      mkdirSync(dir, { recursive: true });
      await fill(dir, total, { project: 0.9, decisions: 0.05, sessions: 0.05 });
    }
    const browser = await launch();
    const opens: number[] = [];
    const indexes: number[] = [];
    const loads: number[] = [];
    const pages: number[] = [];
    const nexts: number[] = [];
    const searches: number[] = [];
    const runs = 5;
    for (let run = 0; run < runs; run++) {
      const t0 = performance.now();
      const ui = await startUi(resolveConfig({}, dir), { log: () => {} });
      opens.push(performance.now() - t0);
      // The search index is built in the background after the store opens; the page is timed
      // once it is there (a page opened sooner waits for it: the server start's figure says how long).
      await ui.bank.indexReady();
      indexes.push(performance.now() - t0);
      const page = await browser.newPage();
      const started = performance.now();
      await page.goto(ui.url);
      await page.waitForSelector("body[data-ready=true]", { timeout: 300_000 });
      loads.push(performance.now() - started);
      pages.push(Number(await page.getAttribute("body", "data-render-ms")));
      const shown = Number(await page.getAttribute("body", "data-renders"));
      await page.click("#next");
      await page.waitForFunction(
        (n) => Number((globalThis as unknown as PageGlobals).document.body.dataset.renders) > n,
        shown,
        { timeout: 300_000 },
      );
      nexts.push(Number(await page.getAttribute("body", "data-render-ms")));
      await page.fill("#q", `${WORDS[run % WORDS.length]} migraton`);
      const before = Number(await page.getAttribute("body", "data-renders"));
      const t = performance.now();
      await page.press("#q", "Enter");
      await page.waitForFunction(
        (n) => Number((globalThis as unknown as PageGlobals).document.body.dataset.renders) > n,
        before,
        { timeout: 300_000 },
      );
      searches.push(performance.now() - t);
      await page.close();
      await ui.close();
    }
    await browser.close();
    const f = (xs: number[]) =>
      `${median(xs).toFixed(0)} ms (runs: ${xs.map((x) => x.toFixed(0)).join(", ")})`;
    process.stdout.write(
      [
        `## The web page at ${total} entries (${Math.round(total * 0.9)} in the namespace shown)`,
        "",
        `- \`memory-bank ui\` server start, store opened: ${f(opens)}; search index built: ${f(indexes)}`,
        `- page opened to the namespace's first 50 rows on screen: ${f(loads)}`,
        `- of which the namespace's first page, request to rows on screen: ${f(pages)}`,
        `- the next page (cursor), click to rows on screen: ${f(nexts)}`,
        `- a search (typo included), Enter to rows on screen: ${f(searches)}`,
        "",
      ].join("\n"),
    );
  } finally {
    if (!keep) rmSync(dir, { recursive: true, force: true });
  }
}

async function shoot(page: Page, name: string): Promise<void> {
  const out = path.join(ROOT, "docs", "images", `${name}.png`);
  await page.screenshot({ path: out });
  process.stderr.write(`wrote ${path.relative(ROOT, out)}\n`);
}

async function screenshots(): Promise<void> {
  const dir = realpathSync(mkdtempSync(path.join(os.tmpdir(), "memory-bank-ui-shots-")));
  try {
    await fill(dir, 2400, { project: 0.6, decisions: 0.15, incidents: 0.1, "how-to": 0.15 });
    // A few runs of the CLI, so the charts have session records to draw.
    const cli = path.join(ROOT, "dist", "src", "cli.js");
    for (const args of [
      ["query", "database migration"],
      ["query", "token rotaton"],
      ["store", "decisions/cache", '{"choice":"LRU, 512 entries"}', "--namespace", "decisions"],
      ["stats"],
      ["query", "rollback", "--namespace", "project"],
    ]) {
      spawnSync(process.execPath, [cli, ...args], { cwd: dir, stdio: "ignore" });
    }
    mkdirSync(path.join(ROOT, "docs", "images"), { recursive: true });
    // An MCP server on the same store, as an agent runs it, for the processes view.
    const server = spawn(process.execPath, [cli, "serve"], { cwd: dir, stdio: ["pipe", "ignore", "ignore"] });
    const ui = await startUi(resolveConfig({}, dir), { log: () => {} });
    const browser = await launch();
    const page = await browser.newPage({ viewport: { width: 1360, height: 820 } });
    await page.goto(ui.url);
    await page.waitForSelector("body[data-ready=true]");
    await shoot(page, "ui-browse");
    await page.fill("#q", "databse rollbak");
    await page.press("#q", "Enter");
    await page.waitForSelector("#result-list mark");
    await page.click("#result-list button >> nth=0");
    await page.waitForSelector("#entry-value");
    await shoot(page, "ui-search");
    await page.click("#edit");
    const key = (await page.textContent("#entry-key"))?.replace(/^Edit /, "") ?? "";
    const ns = await page.getAttribute("#result-list button >> nth=0", "data-ns");
    spawnSync(
      process.execPath,
      [cli, "store", key, '{"note":"changed by another agent"}', "--namespace", ns ?? ""],
      {
        cwd: dir,
        stdio: "ignore",
      },
    );
    await page.waitForSelector("#changed-elsewhere");
    await page.click("#save");
    await page.waitForSelector("#conflict");
    await shoot(page, "ui-conflict");
    await page.click("[data-view=charts]");
    await page.waitForSelector("#chart-growth polyline");
    await page.waitForTimeout(500);
    await shoot(page, "ui-charts");
    await page.click("[data-view=processes]");
    await page.waitForSelector("#proc-table tbody tr");
    await shoot(page, "ui-processes");
    await page.setViewportSize({ width: 390, height: 820 });
    await page.click("[data-view=browse]");
    await page.waitForTimeout(300);
    await shoot(page, "ui-narrow");
    await browser.close();
    await ui.close();
    server.kill();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const argv = process.argv.slice(2);
const at = argv.indexOf("--entries");
const entries = at >= 0 ? Number(argv[at + 1]) : 100_000;
if (argv.includes("--screenshots")) await screenshots();
else {
  const d = argv.indexOf("--dir");
  await measure(entries, d >= 0 ? path.resolve(argv[d + 1] ?? "") : undefined);
}
