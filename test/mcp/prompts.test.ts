/**
 * The prompts a person runs as slash commands, as a client runs them (in this process in the
 * fast tier, over real stdio in the system tier): each does its work with the store, and every
 * argument completes from what is stored.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Connected, connectServer, ok, removeProject, tempProject } from "../helpers.js";

let dir: string;
let s: Connected;

beforeAll(async () => {
  dir = tempProject();
  s = await connectServer(dir);
  await ok(s.client, "memory_store", {
    key: "auth/login-flow",
    value: "The CLI logs in with the OAuth2 device flow",
    tags: ["auth"],
  });
  await ok(s.client, "memory_store", {
    key: "auth/tokens",
    value: "Refresh tokens live 30 days",
    namespace: "project",
  });
});

afterAll(async () => {
  await s.close();
  removeProject(dir);
});

const textOf = (r: { messages: Array<{ content: { type: string; text?: string } }> }) =>
  r.messages.map((m) => m.content.text ?? "").join("\n");

describe("prompts/list", () => {
  it("offers recall, save-decision, handover and review-changes with their arguments", async () => {
    const { prompts } = await s.client.listPrompts();
    expect(prompts.map((p) => p.name)).toEqual(["recall", "save-decision", "handover", "review-changes"]);
    const recall = prompts.find((p) => p.name === "recall");
    expect(recall?.arguments?.map((a) => [a.name, a.required])).toEqual([
      ["topic", true],
      ["namespace", false],
    ]);
  });
});

describe("recall", () => {
  it("hands the model what the memory holds about a topic, with each entry's URI", async () => {
    const r = await s.client.getPrompt({ name: "recall", arguments: { topic: "login flow" } });
    const text = textOf(r);
    expect(text).toMatch(/memory:\/\/default\/auth%2Flogin-flow/);
    expect(text).toMatch(/OAuth2 device flow/);
  });

  it("says when nothing is known", async () => {
    const r = await s.client.getPrompt({ name: "recall", arguments: { topic: "kubernetes helm charts" } });
    expect(textOf(r)).toMatch(/holds nothing about "kubernetes helm charts"/);
  });
});

describe("save-decision", () => {
  it("stores the decision with its context and shows related decisions", async () => {
    const first = await s.client.getPrompt({
      name: "save-decision",
      arguments: { decision: "Use Postgres for sessions", context: "SQLite locks under concurrent writers" },
    });
    expect(textOf(first)).toMatch(
      /memory:\/\/decisions\/decisions%2Fuse-postgres-for-sessions \(version 1, new\)/,
    );
    const stored = await ok<{ entry: { value: { decision: string; context: string }; tags: string[] } }>(
      s.client,
      "memory_get",
      {
        key: "decisions/use-postgres-for-sessions",
        namespace: "decisions",
      },
    );
    expect(stored.entry.value).toMatchObject({
      decision: "Use Postgres for sessions",
      context: "SQLite locks under concurrent writers",
    });
    expect(stored.entry.tags).toEqual(["decision"]);
    const second = await s.client.getPrompt({
      name: "save-decision",
      arguments: { decision: "Keep Postgres sessions for 30 days" },
    });
    expect(textOf(second)).toMatch(/Related decisions already stored[\s\S]*use-postgres-for-sessions/);
  });
});

describe("handover", () => {
  it("stores a handover record linking what the memory holds about the task", async () => {
    const r = await s.client.getPrompt({
      name: "handover",
      arguments: { task: "auth login flow", to: "reviewer", notes: "tests pass; docs missing" },
    });
    expect(textOf(r)).toMatch(/stored as memory:\/\/tasks\/handover%2Fauth-login-flow/);
    const stored = await ok<{ entry: { value: { to: string; notes: string; related: string[] } } }>(
      s.client,
      "memory_get",
      {
        key: "handover/auth-login-flow",
        namespace: "tasks",
      },
    );
    expect(stored.entry.value.to).toBe("reviewer");
    expect(stored.entry.value.related).toContain("memory://default/auth%2Flogin-flow");
  });
});

describe("review-changes", () => {
  it("lists what changed since a duration ago, and refuses a since it cannot read", async () => {
    const r = await s.client.getPrompt({
      name: "review-changes",
      arguments: { since: "1h", namespace: "project" },
    });
    expect(textOf(r)).toMatch(/memory:\/\/project\/auth%2Ftokens/);
    expect(textOf(r)).not.toMatch(/login-flow/);
    const future = await s.client.getPrompt({
      name: "review-changes",
      arguments: { since: "2999-01-01T00:00:00Z" },
    });
    expect(textOf(future)).toMatch(/Nothing changed/);
    await expect(
      s.client.getPrompt({ name: "review-changes", arguments: { since: "last tuesday" } }),
    ).rejects.toThrow(/since 'last tuesday' is neither a duration \(2h, 7d\) nor an ISO 8601 date/);
  });
});

describe("argument completion", () => {
  it("completes topics from stored keys, namespaces from those in use, and since from durations", async () => {
    const topic = await s.client.complete({
      ref: { type: "ref/prompt", name: "recall" },
      argument: { name: "topic", value: "auth/" },
    });
    expect(topic.completion.values).toContain("auth/login-flow");
    const ns = await s.client.complete({
      ref: { type: "ref/prompt", name: "review-changes" },
      argument: { name: "namespace", value: "pro" },
    });
    expect(ns.completion.values).toEqual(["project"]);
    const since = await s.client.complete({
      ref: { type: "ref/prompt", name: "review-changes" },
      argument: { name: "since", value: "" },
    });
    expect(since.completion.values).toContain("24h");
  });
});
