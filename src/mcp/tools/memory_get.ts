import { getOperation } from "../../service/operations/get.js";
import { defineTool } from "../tool.js";

export default defineTool({
  operation: getOperation,
  title: "Read one memory",
  description:
    "Read the full entry stored under a key: value, type, tags, metadata, timestamps, version (pass it as ifVersion to update safely) and when it expires. A missing or expired key answers found: false, not an error. Example: {key: 'auth/login-flow', namespace: 'default'}",
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
});
