/** The JSON store held to the Backend contract: one temporary directory per case. */
import path from "node:path";
import { JsonStore } from "../../../src/store/json/json-store.js";
import { backendContract } from "../contract.js";
import { removeDir, tempDir } from "./fixtures.js";

backendContract("json (snapshot + journal)", {
  place: () => tempDir(),
  create: (dir, options) =>
    new JsonStore({
      dataPath: path.join(dir as string, "memory", "claude-flow-data.json"),
      log: () => {},
      ...options,
    }),
  remove: (dir) => removeDir(dir as string),
});
