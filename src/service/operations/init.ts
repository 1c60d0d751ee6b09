/**
 * `memory-bank init`: registers the server in the project's .mcp.json and writes a default config
 * when there is none (config/init.ts). It opens no store.
 */
import { z } from "zod";
import { InitResultSchema, init } from "../../config/init.js";
import { defineSetupOperation } from "./operation.js";

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
