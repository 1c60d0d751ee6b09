import { storeOperation } from "../../service/operations/store.js";
import { defineTool } from "../tool.js";

export default defineTool({
  operation: storeOperation,
  title: "Store a memory",
  description:
    "Store or update one memory under a key in a namespace. Storing an existing key replaces its value and bumps its version; pass ifVersion to update only if nobody changed it since you read it. Example: {key: 'auth/login-flow', value: 'CLI login uses OAuth2 device flow', namespace: 'default', tags: ['auth'], ttl: '30d'}",
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: false },
});
