import { GetInputShape, GetOutputShape } from "../../domain/entry.js";
import { getEntry } from "../../service/operations/get.js";
import { brief, defineTool } from "../tool.js";

export default defineTool({
  name: "memory_get",
  title: "Read one memory",
  description:
    "Read the full entry stored under a key: value, type, tags, metadata, timestamps, version (pass it as ifVersion to update safely) and when it expires. A missing or expired key answers found: false, not an error. Example: {key: 'auth/login-flow', namespace: 'default'}",
  inputSchema: GetInputShape,
  outputSchema: GetOutputShape,
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  run: (bank, input) => getEntry(bank, input),
  render: (o) =>
    o.entry
      ? `[${o.entry.namespace}] ${o.entry.key} (version ${o.entry.version}, ${o.entry.type}${o.entry.tags.length ? `, tags ${o.entry.tags.join(", ")}` : ""}${o.expiresAt ? `, expires ${o.expiresAt}` : ""}): ${brief(o.entry.value, 2000)}`
      : "Not found: no live entry has this key in this namespace.",
});
