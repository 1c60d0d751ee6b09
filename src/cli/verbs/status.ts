import { loadConfig } from "../../config/config.js";
import { type DoorVerb, log } from "../verb.js";

/**
 * `status`: the store's bank server, if one runs: its pid, version, uptime, clients and memory.
 * Starts none. `--finish` asks it to stop taking connections and exit when its sessions end.
 */
const status: DoorVerb = {
  name: "status",
  description: "show the store's bank server (pid, uptime, clients, memory); starts none",
  configure: (c) =>
    c.option("--finish", "ask the bank server to finish: no new connections, exit after the last"),
  action: async (globals, flags = {}) => {
    const loaded = loadConfig(globals.config ? { configPath: globals.config } : {});
    for (const w of loaded.warnings) log(`warning: ${w}`);
    const { sharedEnabled } = await import("../../server/endpoint.js");
    const { attach, BankCalls } = await import("../../server/client.js");
    const shared = sharedEnabled(loaded);
    const attached = await attach(loaded, { role: "cli", start: false });
    if (!attached.ok) {
      const text = `no bank server is running for ${loaded.dataPath} (${attached.reason}); memory.server.shared is ${shared ? "on: the next `memory-bank serve` starts one" : "off: every process opens the store itself"}`;
      process.stdout.write(
        `${globals.json ? JSON.stringify({ running: false, dataPath: loaded.dataPath, shared, reason: attached.reason }, null, 2) : text}\n`,
      );
      return;
    }
    const calls = new BankCalls(attached.socket);
    try {
      const s = await calls.status();
      if (flags.finish) await calls.finish();
      if (globals.json) {
        process.stdout.write(
          `${JSON.stringify({ running: true, shared, ...s, ...(flags.finish ? { finishing: true } : {}) }, null, 2)}\n`,
        );
        return;
      }
      const mib = (n: number) => `${(n / 1048576).toFixed(1)} MiB`;
      process.stdout.write(
        `${[
          `bank server pid ${s.pid} (memory-bank ${s.version}), up ${formatUptime(s.uptimeMs)}, serving ${s.dataPath}${s.entries !== undefined ? ` (${s.entries} entries at start)` : ""}`,
          `socket ${s.socket}; log ${s.log}`,
          `clients: ${s.clients.mcp} MCP session(s), ${s.clients.cli} CLI call(s); served ${s.served.sessions} session(s), ${s.served.calls} CLI call(s)`,
          `memory: RSS ${mib(s.rssBytes)}, heap ${mib(s.heapUsedBytes)}; exits after ${Math.round(s.idleTimeoutMs / 1000)} s without a connection`,
          ...(flags.finish
            ? ["asked to finish: it takes no new connection and exits after its last one"]
            : []),
        ].join("\n")}\n`,
      );
    } finally {
      calls.close();
    }
  },
};

function formatUptime(ms: number): string {
  const s = Math.floor(ms / 1000);
  if (s < 120) return `${s} s`;
  if (s < 7200) return `${Math.floor(s / 60)} min`;
  return `${(s / 3600).toFixed(1)} h`;
}

export default status;
