import { initOperation } from "../../service/operations/init.js";
import { defineSetupVerb } from "../verb.js";

export default defineSetupVerb({
  name: "init",
  description:
    "register the server in this project's .mcp.json (keeping other servers), write a default config and memory/.gitignore",
  setup: initOperation,
  configure: (c) =>
    c
      .option(
        "--npx",
        "start the server with `npx --no-install memory-bank-mcp serve` (the project's own copy only) instead of node node_modules/...",
      )
      .option("--remove", "unregister: remove the server from .mcp.json, keeping the config and the store"),
  input: (_, o) => ({ npx: o.npx ?? false, remove: o.remove ?? false }),
});
