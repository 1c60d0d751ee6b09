import { spawn } from "node:child_process";
import { number } from "../options.js";
import { type DoorVerb, loadProject, log } from "../verb.js";

/** The browser opener of each platform; a missing one only means the URL has to be opened by hand. */
function openBrowser(url: string): void {
  const [command, ...args] =
    process.platform === "darwin"
      ? ["open", url]
      : process.platform === "win32"
        ? ["cmd", "/c", "start", "", url]
        : ["xdg-open", url];
  try {
    const child = spawn(command as string, args, { stdio: "ignore", detached: true });
    child.on("error", () => log(`could not open a browser (${command}): open the URL above yourself`));
    child.unref();
  } catch {
    log("could not open a browser: open the URL above yourself");
  }
}

/**
 * `ui`: the web page (src/ui/) on loopback, until Ctrl-C. The URL with its one-time token is
 * printed on stdout, the rest on stderr.
 */
const ui: DoorVerb = {
  name: "ui",
  description: "open a local web page to browse, search, edit and watch the memory (loopback only)",
  configure: (c) =>
    c
      .option("--port <n>", "port on 127.0.0.1 (default: any free one)", number)
      .option("--no-open", "print the URL without opening a browser"),
  action: async (globals, flags) => {
    const loaded = loadProject(globals);
    // Loaded on demand: no other verb needs the page's server.
    const { startUi } = await import("../../ui/server.js");
    const running = await startUi(loaded, { port: flags.port ?? 0, log });
    process.stdout.write(`${running.url}\n`);
    log(`serving ${running.bank.dataPath} on http://127.0.0.1:${running.port}/ (Ctrl-C to stop)`);
    if (flags.open !== false) openBrowser(running.url);
    const stop = (why: string) => {
      log(`shutting down (${why})`);
      void running.close().then(() => process.exit(0));
    };
    process.once("SIGINT", () => stop("SIGINT"));
    process.once("SIGTERM", () => stop("SIGTERM"));
    await new Promise(() => {});
  },
};
export default ui;
