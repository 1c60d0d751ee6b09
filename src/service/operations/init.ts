/**
 * `memory-bank init`: registers the server in the project's `.mcp.json` for Claude Code, merged
 * with the servers already there (never dropping one), and writes `claude-flow.config.json` with
 * the defaults when the project has none, and memory/.gitignore. The server is started by a path
 * relative to the project (or a pinned `npx`: see serverCommand), never through `npm start`,
 * whose banner on stdout would corrupt the protocol stream.
 */
import { existsSync, lstatSync } from "node:fs";
import { open, readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { CONFIG_FILE } from "../../config/config.js";
import { realLocation } from "../../config/project.js";
import { errorMessage, MemoryError } from "../../domain/errors.js";
import { ensureDir, writeFileAtomic } from "../../store/files.js";
import { defineSetupOperation } from "./operation.js";

export const SERVER_NAME = "memory-bank";
export const PACKAGE_NAME = "memory-bank-mcp";

export const InitResultSchema = z.object({
  mcpJson: z.object({
    path: z.string(),
    action: z.enum(["created", "added", "updated", "unchanged", "removed", "absent"]),
    servers: z.array(z.string()).describe("every server registered in the file after init"),
  }),
  config: z.object({ path: z.string(), action: z.enum(["created", "kept"]) }),
  gitignore: z
    .object({ path: z.string(), action: z.enum(["created", "kept"]) })
    .optional()
    .describe("memory/.gitignore, which keeps the store (secrets included) out of commits"),
  command: z.array(z.string()).describe("how Claude Code will start the server (empty after --remove)"),
  warnings: z.array(z.string()),
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

/** Where this package is installed: three levels up from dist/src/service/operations/. */
const PACKAGE_ROOT = fileURLToPath(new URL("../../../../", import.meta.url));

/** The binary, relative to the package's root. */
const CLI_IN_PACKAGE = "dist/src/cli.js";

/**
 * The command a project's `.mcp.json` starts the server with. It must work for every teammate
 * who clones the project and after the project is moved, so it names nothing outside it: Claude
 * Code starts servers in the project's directory, and the command is relative to that. And it
 * must never run a package of someone else's: a bare `npx memory-bank` asks the registry for
 * whatever is published under that name, and npx does not ask before running it when there is
 * no terminal. So: `node node_modules/memory-bank-mcp/dist/src/cli.js serve` (this package as
 * the project installed it), `node dist/src/cli.js serve` in this package's own checkout, or
 * with --npx `npx --no-install memory-bank-mcp serve`, which runs only the project's own copy.
 */
export function serverCommand(projectDir: string, useNpx: boolean): { command: string; args: string[] } {
  if (useNpx) return { command: "npx", args: ["--no-install", PACKAGE_NAME, "serve"] };
  if (sameDir(projectDir, PACKAGE_ROOT)) return { command: "node", args: [CLI_IN_PACKAGE, "serve"] };
  return { command: "node", args: [`node_modules/${PACKAGE_NAME}/${CLI_IN_PACKAGE}`, "serve"] };
}

function sameDir(a: string, b: string): boolean {
  return realLocation(a) === realLocation(b);
}

/** What a person should know before relying on the registration: is the package where it points? */
function installWarnings(projectDir: string): string[] {
  if (sameDir(projectDir, PACKAGE_ROOT)) return [];
  const installed = path.join(projectDir, "node_modules", PACKAGE_NAME);
  let link: string | undefined;
  try {
    const st = lstatSync(installed);
    if (st.isSymbolicLink()) link = realLocation(installed);
  } catch {
    return [
      `${PACKAGE_NAME} is not installed in ${projectDir}: the server will not start until it is. Install it there: npm install --save-dev /path/to/${PACKAGE_NAME}-<version>.tgz (from \`npm pack\` in a clone), or a git URL of the repository`,
    ];
  }
  if (!existsSync(path.join(installed, CLI_IN_PACKAGE))) {
    return [`${installed} has no ${CLI_IN_PACKAGE}: reinstall ${PACKAGE_NAME} (it ships built)`];
  }
  return link
    ? [
        `node_modules/${PACKAGE_NAME} is a link to ${link}: this works here, but a teammate's clone needs its own install; install from a packed tarball or a git URL so package.json records one`,
      ]
    : [];
}

/**
 * The store keeps every entry, its backups and exports in memory/: all of it may hold secrets,
 * and none of it belongs in a commit. Written only in a folder of the store's own inside the
 * project: a `*` in the project's root would ignore the whole project.
 */
async function writeGitignore(projectDir: string, storeDir: string): Promise<InitResult["gitignore"]> {
  const rel = path.relative(realLocation(projectDir), realLocation(storeDir));
  if (rel === "" || rel.startsWith("..") || path.isAbsolute(rel)) return undefined;
  await ensureDir(storeDir);
  const file = path.join(storeDir, ".gitignore");
  try {
    await writeFileAtomicIfAbsent(
      file,
      "# memory-bank's store: entries, backups, exports and session records. They can hold secrets:\n# keep them out of git (each clone has its own store).\n*\n",
    );
    return { path: file, action: "created" };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    return { path: file, action: "kept" };
  }
}

/** `.mcp.json` as it is, or {} when there is none; refused (never overwritten) when it is not an object. */
async function readMcpJson(mcpPath: string): Promise<{ doc: Record<string, unknown>; existed: boolean }> {
  let text: string;
  try {
    text = await readFile(mcpPath, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    return { doc: {}, existed: false };
  }
  let doc: unknown;
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
  const servers = (doc as Record<string, unknown>).mcpServers ?? {};
  if (servers === null || typeof servers !== "object" || Array.isArray(servers)) {
    throw new MemoryError("INVALID_INPUT", `${mcpPath}: "mcpServers" must be an object: fix it by hand`);
  }
  return { doc: doc as Record<string, unknown>, existed: true };
}

export interface InitOptions {
  npx?: boolean;
  /** Unregister instead: remove this server from .mcp.json, keeping everything else. */
  remove?: boolean;
  /** The store's directory (from the config's memory.path), for its .gitignore. */
  storeDir?: string;
}

export async function init(projectDir: string, options: InitOptions = {}): Promise<InitResult> {
  const mcpPath = path.join(projectDir, ".mcp.json");
  const configPath = path.join(projectDir, CONFIG_FILE);
  const { doc, existed } = await readMcpJson(mcpPath);
  const servers = { ...((doc.mcpServers as Record<string, unknown> | undefined) ?? {}) };
  const current = servers[SERVER_NAME];

  if (options.remove) {
    if (current !== undefined) {
      delete servers[SERVER_NAME];
      await writeFileAtomic(mcpPath, [`${JSON.stringify({ ...doc, mcpServers: servers }, null, 2)}\n`]);
    }
    return {
      mcpJson: {
        path: mcpPath,
        action: current === undefined ? "absent" : "removed",
        servers: Object.keys(servers),
      },
      config: { path: configPath, action: "kept" },
      command: [],
      warnings: [],
    };
  }

  const entry = { ...serverCommand(projectDir, options.npx ?? false), env: {} };
  const action = !existed
    ? "created"
    : current === undefined
      ? "added"
      : JSON.stringify(current) === JSON.stringify(entry)
        ? "unchanged"
        : "updated";
  const merged = { ...doc, mcpServers: { ...servers, [SERVER_NAME]: entry } };
  if (action !== "unchanged") await writeFileAtomic(mcpPath, [`${JSON.stringify(merged, null, 2)}\n`]);

  let configAction: "created" | "kept" = "kept";
  try {
    await writeFileAtomicIfAbsent(configPath, `${JSON.stringify(DEFAULT_CONFIG_FILE, null, 2)}\n`);
    configAction = "created";
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
  }
  const gitignore = await writeGitignore(projectDir, options.storeDir ?? path.join(projectDir, "memory"));
  return {
    mcpJson: { path: mcpPath, action, servers: Object.keys(merged.mcpServers) },
    config: { path: configPath, action: configAction },
    ...(gitignore ? { gitignore } : {}),
    command: [entry.command, ...entry.args],
    warnings: installWarnings(projectDir),
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
      .describe(
        "Start the server with `npx --no-install memory-bank-mcp serve` instead of node and a relative path.",
      ),
    remove: z.boolean().optional().describe("Unregister the server from .mcp.json instead."),
  }),
  output: InitResultSchema,
  setup: (input, ctx) => {
    const loaded = ctx.config();
    return init(loaded.projectDir, {
      npx: input.npx ?? false,
      remove: input.remove ?? false,
      storeDir: path.dirname(loaded.dataPath),
    });
  },
  render: (r) =>
    r.command.length === 0
      ? [
          `${r.mcpJson.path}: ${r.mcpJson.action === "removed" ? "memory-bank removed" : "memory-bank was not registered"} (servers: ${r.mcpJson.servers.join(", ") || "none"})`,
          "The config file and the store in memory/ are kept; delete them by hand if you no longer want them.",
        ].join("\n")
      : [
          ...r.warnings.map((w) => `warning: ${w}`),
          `${r.mcpJson.path}: ${r.mcpJson.action} (servers: ${r.mcpJson.servers.join(", ")})`,
          `${r.config.path}: ${r.config.action === "created" ? "created with defaults" : "kept as it is"}`,
          ...(r.gitignore ? [`${r.gitignore.path}: ${r.gitignore.action} (the store stays out of git)`] : []),
          `server command: ${r.command.join(" ")} (run in the project directory)`,
          "",
          "Next:",
          "  1. Commit .mcp.json and claude-flow.config.json (not memory/: it is ignored).",
          "  2. Start Claude Code in this directory (restart it if it is running) and approve the",
          "     memory-bank server when it asks; /mcp shows it connected (memory_store, memory_query, ...).",
          "  3. From a shell in the project: npx --no-install memory-bank-mcp list",
        ].join("\n"),
});
