import { loadConfig } from "../../config/config.js";
import type { DoorVerb } from "../verb.js";

/**
 * `bank-server`: the store's shared server (server/bank-server.ts). `serve` starts it detached
 * when none runs; running it by hand is for debugging. Its log lines go to stderr (the server
 * log in the store's directory when started by `serve`).
 */
const bankServer: DoorVerb = {
  name: "bank-server",
  description: "run the store's shared bank server on its local socket (serve starts it when needed)",
  action: async (globals) => {
    const loaded = loadConfig(globals.config ? { configPath: globals.config } : {});
    const log = (m: string) =>
      process.stderr.write(`${new Date().toISOString()} memory-bank[${process.pid}]: ${m}\n`);
    for (const w of loaded.warnings) log(`warning: ${w}`);
    const [{ runBankServer }, { runServed }] = await Promise.all([
      import("../../server/bank-server.js"),
      import("../served.js"),
    ]);
    // The server runs the simple verbs' command lines with this CLI's own verb code (served.ts).
    process.exit(await runBankServer(loaded, log, runServed));
  },
};
export default bankServer;
