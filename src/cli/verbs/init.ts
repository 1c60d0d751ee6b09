import { initOperation } from "../../service/operations/init.js";
import { defineSetupVerb } from "../verb.js";

export default defineSetupVerb({
  name: "init",
  description:
    "register the server in this project's .mcp.json (keeping other servers) and write a default config",
  setup: initOperation,
  configure: (c) =>
    c.option("--npx", "start the server with `npx memory-bank serve` instead of node and an absolute path"),
  input: (_, o) => ({ npx: o.npx ?? false }),
});
