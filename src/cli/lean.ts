/**
 * The binary's lean path: when the project's bank server is running, a simple verb's command
 * line is sent to it whole and run there by the same verb code (served.ts), and `serve` relays
 * its session to it, both before this process loads commander, zod, the verbs or the config
 * schema. What the CLI prints and how it exits are the server's run of the same command line.
 * Anything else (no server running, another config, flags that change the run's settings, stdin
 * as a value, help) goes down the full path (main.ts), exactly as before.
 */
import { createConnection } from "node:net";
import { VERSION } from "../config/version.js";
import { locate, socketInPlace, type Target } from "../server/locate.js";
import { ARGV, HELLO, LineReader, sendLine } from "../server/wire.js";

/** The verbs a bank server runs from their command line: short reads and writes of one store. */
export const SERVED_VERBS: ReadonlySet<string> = new Set([
  "store",
  "get",
  "delete",
  "query",
  "list",
  "stats",
]);

/**
 * Arguments that need the full path: another config file, the store's log lines, settings for
 * this run only, help sized to this terminal, stdin as a value, and `--` (after which nothing
 * here may be read as a flag).
 */
const FULL_PATH_ARGS = new Set([
  "--verbose",
  "--batchtools",
  "--parallel",
  "-h",
  "--help",
  "-V",
  "--version",
  "-",
  "--",
]);

/** Which lean path a command line can take, if any. `argv` is what follows the binary. */
export function leanPath(argv: readonly string[]): "served" | "relay" | undefined {
  if (argv.some((a) => FULL_PATH_ARGS.has(a) || a.startsWith("--config"))) return undefined;
  // Every global flag but --config (refused above) takes no value: the verb is the first word.
  const verb = argv.find((a) => !a.startsWith("-"));
  if (verb === "serve") return argv.length === 1 ? "relay" : undefined;
  return verb !== undefined && SERVED_VERBS.has(verb) ? "served" : undefined;
}

const log = (m: string) => process.stderr.write(`memory-bank: ${m}\n`);

/** Runs the command line on the lean path; false when the full path must run it instead. */
export async function runLean(argv: readonly string[]): Promise<boolean> {
  const way = leanPath(argv);
  if (!way) return false;
  const target = locate(process.cwd(), process.env);
  if (!target) return false;
  if (way === "relay") return relaySession(target);
  const answer = await runOnServer(target, argv);
  if (answer === undefined) return false;
  if ("failed" in answer) {
    // The server went away mid-call: the run failed, as it does on the full path's attached run.
    log(answer.failed);
    if (argv.includes("--json"))
      process.stdout.write(
        `${JSON.stringify({ error: { code: "UNAVAILABLE", message: answer.failed } }, null, 2)}\n`,
      );
    process.exitCode = 1;
    return true;
  }
  process.stdout.write(answer.stdout);
  process.stderr.write(answer.stderr);
  process.exitCode = answer.exitCode;
  return true;
}

/** `serve` attached: the session relayed to the bank server, which is started when none runs. */
async function relaySession(target: Target): Promise<boolean> {
  const [{ attach }, { relay }] = await Promise.all([
    import("../server/client.js"),
    import("../server/relay.js"),
  ]);
  const attached = await attach(target, { role: "mcp", start: true });
  // The full path compares the parsed settings, or says why there is no server and serves in-process.
  if (!attached.ok) return false;
  for (const w of attached.server.warnings ?? []) log(`warning: ${w}`);
  log(
    `serving ${target.dataPath} through its bank server (pid ${attached.server.pid}, ${attached.socketPath}${attached.started ? ", started now" : ""})`,
  );
  process.exit(await relay(attached.socket, log));
}

type Answer = { stdout: string; stderr: string; exitCode: number } | { failed: string };

/**
 * The command line run by a running bank server: hello and the call sent at once, both answers
 * read. Undefined when the full path must run it: nothing listens, the server refuses this
 * client (another version, other config text, finishing) or the command line. This is
 * server/client.ts's attach and BankCalls cut to the one exchange, without the modules those
 * load (starting a server, progress, typed errors), which are most of what a short call costs.
 */
function runOnServer(target: Target, argv: readonly string[]): Promise<Answer | undefined> {
  // A socket path too long for the store's directory is relocated (endpoint.ts): the full path finds it.
  const socketPath = socketInPlace(target.dataPath);
  if (socketPath === undefined) return Promise.resolve(undefined);
  return new Promise((resolve) => {
    let accepted = false;
    let settled = false;
    const settle = (a: Answer | undefined) => {
      if (settled) return;
      settled = true;
      socket.end();
      resolve(a);
    };
    const socket = createConnection(socketPath);
    socket.on("error", () => {});
    socket.on("close", () =>
      settle(
        accepted
          ? { failed: "the bank server closed the connection before answering (see its log)" }
          : undefined,
      ),
    );
    const reader = new LineReader(
      Number.MAX_SAFE_INTEGER,
      (line) => {
        let m: { id?: unknown; result?: Record<string, unknown>; error?: { message?: string } };
        try {
          m = JSON.parse(line);
        } catch {
          return settle(accepted ? { failed: "unreadable answer from the bank server" } : undefined);
        }
        if (m.id === 0) {
          accepted = m.result?.accepted === true;
          if (!accepted) settle(undefined);
          return;
        }
        if (m.id !== 1) return;
        const r = m.result ?? {};
        if (m.error) return settle({ failed: m.error.message ?? "the bank server reported an error" });
        if (typeof r.fallback === "string") return settle(undefined);
        if (typeof r.stdout !== "string" || typeof r.stderr !== "string" || !Number.isInteger(r.exitCode))
          return settle({ failed: "the bank server's answer lacks stdout, stderr or exitCode" });
        settle({ stdout: r.stdout, stderr: r.stderr, exitCode: r.exitCode as number });
      },
      () => settle(undefined),
    );
    socket.on("data", (chunk: Buffer) => reader.feed(chunk));
    socket.once("connect", () => {
      sendLine(socket, {
        jsonrpc: "2.0",
        id: 0,
        method: HELLO,
        params: {
          version: VERSION,
          fingerprint: target.fingerprint,
          role: "cli",
          pid: process.pid,
          raw: true,
        },
      });
      sendLine(socket, { jsonrpc: "2.0", id: 1, method: ARGV, params: { argv: [...argv] } });
    });
  });
}
