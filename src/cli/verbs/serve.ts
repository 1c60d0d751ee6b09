import { loadConfig } from "../../config/config.js";
import { list } from "../options.js";
import { type DoorVerb, log, storeLine } from "../verb.js";

/**
 * `serve`: the MCP door on stdio (stdout then carries protocol only), or over Streamable HTTP
 * with --http [HOST:]PORT (mcp/http.ts: loopback by default; a bearer token from
 * MEMORY_BANK_HTTP_TOKEN or --token-file, never from the command line). On stdio with
 * memory.server.shared (the default) the session is relayed to the store's bank server, which is
 * started when none runs; when it cannot be started or reached, the session is served in this
 * process, as before.
 */
const serve: DoorVerb = {
  name: "serve",
  description:
    "run the MCP server on stdio (stdout carries protocol only), or over Streamable HTTP with --http",
  configure: (c) =>
    c
      .option(
        "--http <[host:]port>",
        "serve Streamable HTTP at http://HOST:PORT/mcp (host 127.0.0.1 by default)",
      )
      .option(
        "--token-file <path>",
        "bearer token for --http from this 0600 file (else MEMORY_BANK_HTTP_TOKEN)",
      )
      .option(
        "--allow-origin <origins>",
        "browser origins --http accepts beyond loopback ones (comma-separated)",
        list,
      ),
  action: async (globals, flags) => {
    // Its config warnings are the server's to log (mcp/server.ts).
    const loaded = loadConfig(globals.config ? { configPath: globals.config } : {});
    if (globals.verbose) log(storeLine(loaded));
    if (typeof flags.http === "string") {
      const { loadToken, parseListen, serveHttp } = await import("../../mcp/http.js");
      const listen = parseListen(flags.http);
      const token = loadToken(process.env, typeof flags.tokenFile === "string" ? flags.tokenFile : undefined);
      const running = await serveHttp(
        loaded,
        {
          ...listen,
          ...(token ? { token } : {}),
          allowedOrigins: (flags.allowOrigin as string[] | undefined) ?? [],
        },
        log,
      );
      process.once("SIGINT", () => void running.shutdown("SIGINT"));
      process.once("SIGTERM", () => void running.shutdown("SIGTERM"));
      await running.done;
      process.exit(0);
    }
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
    // Loaded on demand: the MCP SDK is most of the startup time, and no other verb needs it.
    const { serveStdio } = await import("../../mcp/server.js");
    const running = await serveStdio(loaded, log);
    await running.done;
    process.exit(0);
  },
};
export default serve;
