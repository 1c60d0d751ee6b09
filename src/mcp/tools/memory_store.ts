import { StoreInputShape, StoreOutputShape } from "../../domain/entry.js";
import { defineTool } from "../tool.js";

export default defineTool({
  name: "memory_store",
  title: "Store a memory",
  description:
    "Store or update one memory under a key in a namespace. Storing an existing key replaces its value and bumps its version; pass ifVersion to update only if nobody changed it since you read it. Example: {key: 'auth/login-flow', value: 'CLI login uses OAuth2 device flow', namespace: 'default', tags: ['auth'], ttl: '30d'}",
  inputSchema: StoreInputShape,
  outputSchema: StoreOutputShape,
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: false },
  run: (bank, input) => bank.storeEntry(input),
  render: (o) =>
    `${o.created ? "Stored" : "Updated"} '${o.entry.key}' in namespace '${o.entry.namespace}' (version ${o.entry.version}${o.entry.expiresAt ? `, expires ${o.entry.expiresAt}` : ""}).`,
});
