/**
 * A subscription across processes: a server over real stdio is subscribed to an entry and a
 * namespace, and the `memory-bank` CLI, a different process, writes them. The server hears of
 * each write through its watch on the store's directory and notifies, without a polling loop:
 * while nothing changes, the server's process uses no CPU to speak of.
 */
import { readFileSync } from "node:fs";
import {
  ResourceListChangedNotificationSchema,
  ResourceUpdatedNotificationSchema,
} from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cli } from "../cli/run.js";
import { type Connected, connect, removeProject, tempProject } from "../helpers.js";

let dir: string;
let s: Connected;
const heard: Array<{ uri: string; at: number }> = [];
let listChanged = 0;

beforeAll(async () => {
  dir = tempProject();
  s = await connect(dir);
  s.client.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => {
    heard.push({ uri: n.params.uri, at: Date.now() });
  });
  s.client.setNotificationHandler(ResourceListChangedNotificationSchema, () => {
    listChanged++;
  });
});

afterAll(async () => {
  await s.close();
  removeProject(dir);
});

async function until(check: () => boolean, ms = 30_000): Promise<void> {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > ms)
      throw new Error(`no notification within ${ms} ms; server stderr:\n${s.stderr()}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** CPU time (user + system, ms) the process has used, from /proc. */
function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // USER_HZ is 100 on Linux
}

describe("resources/subscribe across processes", () => {
  it("notifies when the CLI writes the subscribed entry, and measures the delay", async () => {
    await s.client.subscribeResource({ uri: "memory://default/shared-plan" });
    const delays: number[] = [];
    for (let i = 0; i < 5; i++) {
      heard.length = 0;
      const r = await cli(dir, ["store", "shared-plan", `step ${i}`, "--json"]);
      expect(r.code, r.stderr).toBe(0);
      await until(() => heard.some((h) => h.uri === "memory://default/shared-plan"));
      // The delay from the commit (the entry's updatedAt, stamped by the store's clock as the
      // writer commits) to the notification reaching the client.
      const stored = JSON.parse(r.stdout) as { entry: { updatedAt: string } };
      delays.push((heard[0]?.at ?? 0) - Date.parse(stored.entry.updatedAt));
    }
    const read = await s.client.readResource({ uri: "memory://default/shared-plan" });
    expect(read.contents[0]?.text).toBe("step 4");
    process.stderr.write(`cross-process notification delay (ms, commit to client): ${delays.join(", ")}\n`);
  });

  it("notifies the namespace's subscribers and sends list_changed when an entry appears or goes", async () => {
    await s.client.listResources();
    await s.client.subscribeResource({ uri: "memory://team" });
    heard.length = 0;
    const before = listChanged;
    expect((await cli(dir, ["store", "decision", "use postgres", "--namespace", "team"])).code).toBe(0);
    await until(() => heard.some((h) => h.uri === "memory://team") && listChanged > before);
    const afterCreate = listChanged;
    expect((await cli(dir, ["delete", "decision", "--namespace", "team"])).code).toBe(0);
    await until(() => listChanged > afterCreate);
  });

  it("costs no CPU while nothing changes", async () => {
    const pid = s.pid as number;
    await new Promise((r) => setTimeout(r, 500));
    const start = cpuMs(pid);
    await new Promise((r) => setTimeout(r, 3000));
    // A polling loop (a stat every few ms) would show here; an idle watch uses nothing.
    expect(cpuMs(pid) - start).toBeLessThan(150);
  });
});
