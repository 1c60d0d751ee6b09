import { loadConfig } from "../../config/config.js";
import { type DoorVerb, log, storeLine } from "../verb.js";

/** `serve`: the MCP door on stdio. Stdout then carries protocol only. */
const serve: DoorVerb = {
  name: "serve",
  description: "run the MCP server on stdio (stdout carries protocol only)",
  action: async (globals) => {
    // Its config warnings are the server's to log (mcp/server.ts).
    const loaded = loadConfig(globals.config ? { configPath: globals.config } : {});
    if (globals.verbose) log(storeLine(loaded));
    // Loaded on demand: the MCP SDK is most of the startup time, and no other verb needs it.
    const { serveStdio } = await import("../../mcp/server.js");
    const running = await serveStdio(loaded, log);
    await running.done;
    process.exit(0);
  },
};
export default serve;
