import { loadConfig } from "../../config/config.js";
import { type DoorVerb, log } from "../verb.js";

/**
 * `serve`: the MCP door on stdio. Stdout then carries protocol only. With memory.server.shared
 * (the default) the session is relayed to the store's bank server, which is started when none
 * runs; when it cannot be started or reached, the session is served in this process, as before.
 */
const serve: DoorVerb = {
  name: "serve",
  description: "run the MCP server on stdio (stdout carries protocol only)",
  action: async (globals) => {
    const loaded = loadConfig(globals.config ? { configPath: globals.config } : {});
    const { sharedEnabled } = await import("../../server/endpoint.js");
    if (sharedEnabled(loaded)) {
      const { attach } = await import("../../server/client.js");
      const attached = await attach(loaded, { role: "mcp", start: true });
      if (attached.ok) {
        for (const w of loaded.warnings) log(`warning: ${w}`);
        log(
          `serving ${loaded.dataPath} through its bank server (pid ${attached.server.pid}, ${attached.socketPath}${attached.started ? ", started now" : ""})`,
        );
        const { relay } = await import("../../server/relay.js");
        process.exit(await relay(attached.socket, log));
      }
      log(`bank server unavailable (${attached.reason}): serving this session in-process`);
    }
    // Its config warnings are the server's to log (mcp/server.ts).
    // Loaded on demand: the MCP SDK is most of the startup time, and no other verb needs it.
    const { serveStdio } = await import("../../mcp/server.js");
    const running = await serveStdio(loaded, log);
    await running.done;
    process.exit(0);
  },
};
export default serve;
