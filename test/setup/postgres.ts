/**
 * vitest globalSetup: one PostgreSQL server for the whole run, started before any test file and
 * stopped after the last. Test files get its address through `inject("postgres")` and make a
 * database of their own (cluster.ts). When it cannot start, the reason is handed on instead, so
 * every PostgreSQL test fails with it while the rest of the suite runs.
 */
import type { TestProject } from "vitest/node";
import { type ClusterInfo, PostgresCluster } from "../../bench/lib/postgres-cluster.js";

declare module "vitest" {
  export interface ProvidedContext {
    postgres: { info: ClusterInfo } | { error: string };
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  let cluster: PostgresCluster | undefined;
  try {
    cluster = await PostgresCluster.start();
    project.provide("postgres", { info: cluster.info });
  } catch (error) {
    project.provide("postgres", { error: (error as Error).message });
  }
  return async () => {
    await cluster?.destroy();
  };
}
