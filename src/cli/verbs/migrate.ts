import { Option } from "commander";
import { BACKENDS } from "../../config/config.js";
import { migrateOperation } from "../../service/operations/migrate.js";
import { defineSetupVerb } from "../verb.js";

export default defineSetupVerb({
  name: "migrate",
  description: "copy the whole store between backends (json <-> postgres) and verify counts and checksums",
  setup: migrateOperation,
  configure: (c) =>
    c
      .addOption(
        new Option("--from <backend>", "where the entries are").choices(BACKENDS).makeOptionMandatory(),
      )
      .addOption(
        new Option("--to <backend>", "where they go (must be empty)").choices(BACKENDS).makeOptionMandatory(),
      ),
  input: (_, o) => ({ from: o.from, to: o.to }),
});
