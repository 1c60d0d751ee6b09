import { Option } from "commander";
import { MEMORY_TYPES } from "../../domain/entry.js";
import { storeOperation } from "../../service/operations/store.js";
import { json, jsonOrText, list, number, stdinText } from "../options.js";
import { defineVerb } from "../verb.js";

export default defineVerb({
  name: "store",
  description:
    "store or update one entry (VALUE is parsed as JSON when it is valid JSON, else kept as text; - reads it from stdin)",
  operation: storeOperation,
  configure: (c) =>
    c
      .argument("<key>")
      .argument("<value>")
      .option("--namespace <ns>", "namespace", "default")
      .addOption(new Option("--type <type>", "memory type").choices(MEMORY_TYPES))
      .option("--tags <a,b>", "comma-separated tags", list)
      .option("--ttl <duration>", "time to live, e.g. 30d, 12h, 15m")
      .option("--metadata <json>", "a JSON object stored with the entry")
      .option("--if-version <n>", "store only if the current version is n (0: only if new)", number)
      .option("--string", "store VALUE as text even if it parses as JSON")
      .addOption(
        new Option("--on-duplicate <what>", "when another key of the namespace holds the same value").choices(
          ["keep", "skip", "merge-tags"],
        ),
      ),
  input: async ([key, given = ""], o) => {
    const value = given === "-" ? await stdinText() : given;
    return {
      key,
      value: o.string ? value : jsonOrText(value),
      namespace: o.namespace,
      ...(o.type ? { type: o.type } : {}),
      ...(o.tags ? { tags: o.tags } : {}),
      ...(o.ttl ? { ttl: o.ttl } : {}),
      ...(o.metadata ? { metadata: json(o.metadata, "--metadata") } : {}),
      ...(o.ifVersion !== undefined ? { ifVersion: o.ifVersion } : {}),
      ...(o.onDuplicate ? { onDuplicate: o.onDuplicate } : {}),
    };
  },
});
