/**
 * The web page in a real headless Chromium (Debian's, driven by playwright-core) against a real
 * `memory-bank ui` process, while other `memory-bank` processes write to the same store. The set-up
 * installs Chromium when it is missing; no browser is a failure that says why, never a skip.
 */
import { writeFileSync } from "node:fs";
import path from "node:path";
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cli, cliJson } from "../cli/run.js";
import { removeProject, tempProject } from "../helpers.js";
import { chromiumArgs, chromiumPath } from "../system-deps.js";
import { startUiProcess, type UiProcess } from "./running-ui.js";

const WAIT = { timeout: 90_000 };

let dir: string;
let ui: UiProcess;
let browser: Browser;
let context: BrowserContext;
let page: Page;

beforeAll(async () => {
  const executablePath = chromiumPath();
  dir = tempProject();
  const entries = Array.from({ length: 120 }, (_, i) => ({
    key: `task/${String(i).padStart(3, "0")}`,
    namespace: i % 4 === 0 ? "decisions" : "project",
    value: { title: `Database migration step ${i}`, owner: i % 2 ? "ana" : "li" },
    tags: i % 2 ? ["db"] : ["ops"],
  }));
  entries.push({
    key: "auth/cli",
    namespace: "decisions",
    value: { title: "We authenticate the CLI with device tokens", owner: "ana" },
    tags: ["auth"],
  });
  writeFileSync(path.join(dir, "seed.json"), JSON.stringify(entries));
  await cliJson(dir, ["batch-store", "seed.json"]);
  await cliJson(dir, ["query", "migration"]);
  ui = await startUiProcess(dir);
  browser = await chromium.launch({ executablePath, args: chromiumArgs() });
  context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
  page = await context.newPage();
  const first = await page.goto(ui.url);
  expect(first?.status()).toBe(200);
  await page.waitForSelector("body[data-ready=true]", WAIT);
  // A fresh machine first installs Chromium (apt-get update and install: minutes, not seconds).
}, 900_000);

afterAll(async () => {
  await browser?.close();
  await ui?.stop();
  if (dir) removeProject(dir);
});

async function searchFor(text: string, namespace = ""): Promise<void> {
  await page.click("[data-view=browse]");
  await page.selectOption("#ns-filter", namespace);
  const before = Number(await page.getAttribute("body", "data-renders"));
  await page.fill("#q", text);
  await page.press("#q", "Enter");
  await page.waitForFunction((n) => Number(document.body.dataset.renders) > n, before, WAIT);
}

/** Whether `memory-bank get` in another process finds the key (it exits 1 when it does not). */
async function stored(key: string, namespace: string): Promise<boolean> {
  const r = await cli(dir, ["get", key, "--namespace", namespace]);
  if (r.code !== 0 && !/no entry/.test(r.stderr)) throw new Error(`memory-bank get failed: ${r.stderr}`);
  return r.code === 0;
}

const resultKeys = () =>
  page.$$eval("#result-list button", (bs) => bs.map((b) => (b as HTMLElement).dataset.key));

async function open(key: string): Promise<void> {
  await page.click(`#result-list button[data-key="${key}"]`);
  await page.waitForFunction((k) => document.getElementById("entry-key")?.textContent === k, key, WAIT);
}

describe("the web page in a real browser", () => {
  it("refuses a request without the token (401), and the spent link (403)", async () => {
    const stranger = await browser.newContext();
    const p = await stranger.newPage();
    const bare = await p.goto(`${ui.origin}/`);
    expect(bare?.status()).toBe(401);
    const api = await p.request.post(`${ui.origin}/api/op/memory_query`, {
      data: {},
      headers: { origin: ui.origin },
    });
    expect(api.status()).toBe(401);
    const reused = await p.goto(ui.url);
    expect(reused?.status()).toBe(403);
    await stranger.close();
  });

  it("searches with typos, highlights the matched words and opens the whole entry", async () => {
    await searchFor("authentcate devce");
    expect((await resultKeys())[0]).toBe("auth/cli");
    const marked = await page.$$eval('#result-list button[data-key="auth/cli"] mark', (ms) =>
      ms.map((m) => m.textContent),
    );
    expect(marked).toEqual(expect.arrayContaining(["authenticate", "device"]));
    await open("auth/cli");
    const value = JSON.parse((await page.textContent("#entry-value")) ?? "");
    expect(value).toEqual({ title: "We authenticate the CLI with device tokens", owner: "ana" });
    expect(await page.textContent("#entry")).toMatch(/version\s*1/);
  });

  it("pages through a namespace by keyboard", async () => {
    await searchFor("", "project");
    expect(await resultKeys()).toHaveLength(50);
    const firstPage = await resultKeys();
    await page.click("#next");
    await page.waitForFunction(
      () => document.getElementById("page-no")?.textContent === "page 2",
      null,
      WAIT,
    );
    const second = await resultKeys();
    expect(second).toHaveLength(40);
    expect(second.filter((k) => firstPage.includes(k))).toEqual([]);
    await page.focus("#result-list button >> nth=0");
    await page.keyboard.press("ArrowDown");
    await page.keyboard.press("Enter");
    await page.waitForFunction(
      (k) => document.getElementById("entry-key")?.textContent === k,
      second[1],
      WAIT,
    );
    await page.keyboard.press("Escape");
    expect(await page.isHidden("#entry")).toBe(true);
  });

  it("shows an edit conflict instead of overwriting what another process stored meanwhile", async () => {
    await searchFor("migration step 7", "project");
    await open("task/007");
    await page.click("#edit");
    await page.fill("#edit-value", JSON.stringify({ title: "edited in the page" }));
    const other = await cli(dir, [
      "store",
      "task/007",
      '{"title":"stored by another process"}',
      "--namespace",
      "project",
    ]);
    expect(other.code).toBe(0);
    await page.waitForSelector("#changed-elsewhere", WAIT);
    await page.click("#save");
    await page.waitForSelector("#conflict", WAIT);
    expect(await page.textContent("#conflict")).toMatch(/now at version 2, you edited version 1/);
    // The page's text is kept, and the store still has the other process's value.
    expect(await page.inputValue("#edit-value")).toContain("edited in the page");
    const stored = await cliJson<{ entry: { value: unknown; version: number } }>(dir, [
      "get",
      "task/007",
      "--namespace",
      "project",
    ]);
    expect(stored.entry).toMatchObject({ value: { title: "stored by another process" }, version: 2 });
  });

  it("saves an edit when nobody else wrote meanwhile", async () => {
    await searchFor("migration step 9", "project");
    await open("task/009");
    await page.click("#edit");
    await page.fill("#edit-value", JSON.stringify({ title: "fixed in the page" }));
    await page.click("#save");
    await page.waitForFunction(() =>
      document.getElementById("entry")?.textContent?.includes("fixed in the page"),
    );
    const stored = await cliJson<{ entry: { value: unknown; version: number } }>(dir, [
      "get",
      "task/009",
      "--namespace",
      "project",
    ]);
    expect(stored.entry).toMatchObject({ value: { title: "fixed in the page" }, version: 2 });
  });

  it("deletes an entry after confirmation, and nothing when the confirmation is cancelled", async () => {
    await searchFor("migration step 11", "project");
    await open("task/011");
    await page.click("#delete");
    await page.click("#confirm-cancel");
    expect(await stored("task/011", "project")).toBe(true);
    await page.click("#delete");
    await page.click("#confirm-ok");
    await page.waitForSelector("#entry", { state: "hidden", ...WAIT });
    expect(await stored("task/011", "project")).toBe(false);
  });

  it("previews a prefix delete with a dry run count, then deletes exactly those", async () => {
    await page.click("[data-view=bulk]");
    await page.selectOption("#bulk-ns", "decisions");
    await page.fill("#bulk-prefix", "task/01");
    await page.click("#bulk-form button[type=submit]");
    await page.waitForSelector("#bulk-count", WAIT);
    // task/012 and task/016 are the decisions among task/010..019.
    expect(await page.textContent("#bulk-count")).toMatch(/^2 entries in 'decisions' would be deleted/);
    expect(await stored("task/012", "decisions")).toBe(true);
    await page.click("#bulk-delete");
    await page.click("#confirm-ok");
    await page.waitForSelector("#bulk-done", WAIT);
    expect(await page.textContent("#bulk-done")).toMatch(/Deleted 2 entries/);
    expect(await stored("task/016", "decisions")).toBe(false);
  });

  it("shows what another process stores, live, without reloading the page", async () => {
    await searchFor("", "project");
    await page.evaluate(() => {
      (window as unknown as { notReloaded: boolean }).notReloaded = true;
    });
    const r = await cli(dir, [
      "store",
      "zz/from-elsewhere",
      '"written by another process"',
      "--namespace",
      "project",
    ]);
    expect(r.code).toBe(0);
    await page.waitForSelector('#result-list button[data-key="zz/from-elsewhere"]', WAIT);
    expect(await page.textContent("#feed-list")).toContain("stored project/zz/from-elsewhere (v1)");
    expect(await page.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded)).toBe(
      true,
    );
  });

  it("draws the charts from the session records and the store", async () => {
    await page.click("[data-view=charts]");
    await page.waitForSelector("#chart-throughput svg rect.bar", WAIT);
    const bars = await page.$$eval(
      "#chart-throughput rect.bar",
      (rs) => rs.filter((r) => Number(r.getAttribute("height")) > 0).length,
    );
    expect(bars).toBeGreaterThan(0);
    await page.waitForSelector("#chart-growth svg polyline", WAIT);
    const series = await page.$$eval("#chart-growth polyline", (ps) =>
      ps.map((p) => p.getAttribute("data-series")),
    );
    expect(series.sort()).toEqual(["decisions", "project"]);
    expect(await page.textContent("#perf-table")).toContain("cli:batch-store");
  });

  it("lists the processes using the store", async () => {
    await page.click("[data-view=processes]");
    await page.waitForSelector(`#proc-table tr[data-pid="${ui.child.pid}"]`, WAIT);
    expect(await page.textContent(`#proc-table tr[data-pid="${ui.child.pid}"]`)).toMatch(/ui.*alive/);
  });

  it("stays usable at a narrow width", async () => {
    await page.setViewportSize({ width: 380, height: 800 });
    await page.click("[data-view=browse]");
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(1);
    await page.setViewportSize({ width: 1280, height: 860 });
  });
});
