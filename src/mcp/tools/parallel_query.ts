import { parallelQueryOperation } from "../../service/operations/parallel-query.js";
import { defineTool } from "../tool.js";

export default defineTool({
  operation: parallelQueryOperation,
  title: "Run many searches at once",
  description:
    "Run up to 100 searches concurrently in one call; with namespaces, each search runs in each namespace separately. Each query is a search string or a full memory_query input. Example: {queries: ['database migrations', 'login flow'], namespaces: ['default', 'tasks'], limit: 3}",
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
});
