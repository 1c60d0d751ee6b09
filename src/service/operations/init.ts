/**
 * `memory-bank init`: registers the server in the project's `.mcp.json` for Claude Code, merged
 * with the servers already there (never dropping one), and writes `claude-flow.config.json` with
 * the defaults when the project has none. The server is started by absolute path (or `npx`), never
 * through `npm start`, whose banner on stdout would corrupt the protocol stream.
 */
import { open, readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { CONFIG_FILE } from "../../config/config.js";
import { errorMessage, MemoryError } from "../../domain/errors.js";
import { writeFileAtomic } from "../../store/files.js";
import { defineSetupOperation } from "./operation.js";

export const SERVER_NAME = "memory-bank";

export const InitResultSchema = z.object({
  mcpJson: z.object({
    path: z.string(),
    action: z.enum(["created", "added", "updated", "unchanged"]),
    servers: z.array(z.string()).describe("every server registered in the file after init"),
  }),
  config: z.object({ path: z.string(), action: z.enum(["created", "kept"]) }),
  command: z.array(z.string()).describe("how Claude Code will start the server"),
});
export type InitResult = z.infer<typeof InitResultSchema>;

/** The seed configuration, written as-is so people see every field they can tune. */
export const DEFAULT_CONFIG_FILE = {
  memory: {
    backend: "json",
    path: "./memory/claude-flow-data.json",
    cacheSize: 5000,
    indexing: true,
    batchtools: {
      enabled: true,
      maxConcurrent: 10,
      batchSize: 100,
      parallelIndexing: true,
      concurrentBackups: true,
    },
    namespaces: ["default", "agents", "tasks", "sessions", "sparc", "batchtools"],
    retentionPolicy: { sessions: "30d", tasks: "90d", agents: "permanent", sparc: "180d", batchtools: "60d" },
    performance: {
      enableParallelAccess: true,
      concurrentQueries: 20,
      batchWriteSize: 50,
      parallelIndexUpdate: true,
    },
  },
};

export function serverCommand(useNpx: boolean): { command: string; args: string[] } {
  if (useNpx) return { command: "npx", args: ["memory-bank", "serve"] };
  const cli = fileURLToPath(new URL("../../cli.js", import.meta.url));
  return { command: "node", args: [cli, "serve"] };
}

export async function init(projectDir: string, options: { npx?: boolean } = {}): Promise<InitResult> {
  const mcpPath = path.join(projectDir, ".mcp.json");
  const entry = { ...serverCommand(options.npx ?? false), env: {} };
  let doc: Record<string, unknown> = {};
  let existed = true;
  try {
    const text = await readFile(mcpPath, "utf8");
    try {
      doc = JSON.parse(text);
    } catch (error) {
      throw new MemoryError(
        "INVALID_INPUT",
        `${mcpPath} is not valid JSON (${errorMessage(error)}): fix it by hand; init will not overwrite it`,
      );
    }
    if (doc === null || typeof doc !== "object" || Array.isArray(doc)) {
      throw new MemoryError(
        "INVALID_INPUT",
        `${mcpPath} must hold a JSON object: fix it by hand; init will not overwrite it`,
      );
    }
  } catch (error) {
    if (error instanceof MemoryError) throw error;
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    existed = false;
  }
  const servers = doc.mcpServers ?? {};
  if (servers === null || typeof servers !== "object" || Array.isArray(servers)) {
    throw new MemoryError("INVALID_INPUT", `${mcpPath}: "mcpServers" must be an object: fix it by hand`);
  }
  const current = (servers as Record<string, unknown>)[SERVER_NAME];
  const action = !existed
    ? "created"
    : current === undefined
      ? "added"
      : JSON.stringify(current) === JSON.stringify(entry)
        ? "unchanged"
        : "updated";
  const merged = { ...doc, mcpServers: { ...(servers as Record<string, unknown>), [SERVER_NAME]: entry } };
  if (action !== "unchanged") await writeFileAtomic(mcpPath, [`${JSON.stringify(merged, null, 2)}\n`]);

  const configPath = path.join(projectDir, CONFIG_FILE);
  let configAction: "created" | "kept" = "kept";
  try {
    await writeFileAtomicIfAbsent(configPath, `${JSON.stringify(DEFAULT_CONFIG_FILE, null, 2)}\n`);
    configAction = "created";
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
  }
  return {
    mcpJson: { path: mcpPath, action, servers: Object.keys(merged.mcpServers) },
    config: { path: configPath, action: configAction },
    command: [entry.command, ...entry.args],
  };
}

async function writeFileAtomicIfAbsent(file: string, text: string): Promise<void> {
  // "wx" claims the name first, so an existing config (even one created a moment ago) is never replaced.
  const handle = await open(file, "wx", 0o600);
  await handle.close();
  await writeFileAtomic(file, [text]);
}

export const initOperation = defineSetupOperation({
  name: "init",
  input: z.object({
    npx: z
      .boolean()
      .optional()
      .describe("Start the server with `npx memory-bank serve` instead of node and a path."),
  }),
  output: InitResultSchema,
  setup: (input, ctx) => init(ctx.cwd, { npx: input.npx ?? false }),
  render: (r) =>
    [
      `${r.mcpJson.path}: ${r.mcpJson.action} (servers: ${r.mcpJson.servers.join(", ")})`,
      `${r.config.path}: ${r.config.action === "created" ? "created with defaults" : "kept as it is"}`,
      `server command: ${r.command.join(" ")}`,
    ].join("\n"),
});
