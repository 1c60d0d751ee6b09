/**
 * What memory_store tells an agent about the value it stores: the same value already under
 * another key of the namespace (keep both and say so, skip, or merge tags), and a value that
 * looks like a secret (reported; masked before storing when memory.secrets is "mask").
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Connected, call, connectServer, ok, removeProject, tempProject, textOf } from "../helpers.js";

type Stored = {
  entry: { key: string; version: number };
  created: boolean;
  duplicate?: { keys: string[]; more?: number; action: string; note: string };
  secrets?: { kinds: string[]; masked: boolean; note: string };
};

const NOTE = "Deploys go out every Tuesday after the release review";
const GITHUB = `ghp_${"a1B2c3D4e5".repeat(4)}`;
const PEM =
  "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ\n-----END OPENSSH PRIVATE KEY-----";

let dir: string;
let masking: string;
let s: Connected;
let m: Connected;

beforeAll(async () => {
  dir = tempProject();
  masking = tempProject({ memory: { secrets: "mask" } });
  s = await connectServer(dir);
  m = await connectServer(masking);
});

afterAll(async () => {
  await s.close();
  await m.close();
  removeProject(dir);
  removeProject(masking);
});

describe("the same value under another key", () => {
  it("is kept and reported by default, naming the other key", async () => {
    await ok(s.client, "memory_store", { key: "release/cadence", value: NOTE, tags: ["release"] });
    const r = await call(s.client, "memory_store", { key: "ops/deploy-day", value: NOTE });
    const out = r.structuredContent as Stored;
    expect(out.created).toBe(true);
    expect(out.duplicate).toMatchObject({ keys: ["release/cadence"], action: "kept" });
    expect(textOf(r)).toMatch(/also stored under 'release\/cadence'.*onDuplicate: skip or merge-tags/);
  });

  it("is not stored again with onDuplicate: skip", async () => {
    const out = await ok<Stored>(s.client, "memory_store", {
      key: "third/copy",
      value: NOTE,
      onDuplicate: "skip",
    });
    expect(out.duplicate?.action).toBe("skipped");
    expect(out.entry.key).toBe("ops/deploy-day"); // the first twin in key order
    const got = await ok<{ found: boolean }>(s.client, "memory_get", { key: "third/copy" });
    expect(got.found).toBe(false);
  });

  it("adds its tags to the existing entry with onDuplicate: merge-tags", async () => {
    const out = await ok<Stored>(s.client, "memory_store", {
      key: "fourth/copy",
      value: NOTE,
      tags: ["ops", "schedule"],
      onDuplicate: "merge-tags",
    });
    expect(out.duplicate?.action).toBe("merged-tags");
    const got = await ok<{ entry: { tags: string[]; value: string; version: number } }>(
      s.client,
      "memory_get",
      {
        key: out.entry.key,
      },
    );
    expect(got.entry.tags).toEqual(expect.arrayContaining(["ops", "schedule"]));
    expect(got.entry.value).toBe(NOTE);
    expect((await ok<{ found: boolean }>(s.client, "memory_get", { key: "fourth/copy" })).found).toBe(false);
  });

  it("names at most 10 other keys and counts the rest, however many hold the value", async () => {
    const value = "The same long enough value, stored under many keys of one namespace";
    for (let i = 0; i < 30; i++)
      await ok(s.client, "memory_store", {
        key: `many/k${String(i).padStart(2, "0")}`,
        value,
        namespace: "many",
      });
    const r = await call(s.client, "memory_store", { key: "many/last", value, namespace: "many" });
    const out = r.structuredContent as Stored;
    expect(out.duplicate?.keys).toHaveLength(10);
    expect(out.duplicate?.keys).toEqual([...(out.duplicate?.keys ?? [])].sort());
    expect(out.duplicate?.more).toBe(20);
    expect(textOf(r)).toMatch(/and 20 more key\(s\) in namespace 'many'/);
    const skipped = await ok<Stored>(s.client, "memory_store", {
      key: "many/again",
      value,
      namespace: "many",
      onDuplicate: "skip",
    });
    expect(skipped.duplicate).toMatchObject({ action: "skipped", more: 21 });
  });

  it("is not looked for across namespaces, nor for short values such as flags", async () => {
    const other = await ok<Stored>(s.client, "memory_store", {
      key: "cadence",
      value: NOTE,
      namespace: "elsewhere",
    });
    expect(other.duplicate).toBeUndefined();
    await ok(s.client, "memory_store", { key: "flag/a", value: true });
    expect(
      (await ok<Stored>(s.client, "memory_store", { key: "flag/b", value: true })).duplicate,
    ).toBeUndefined();
  });

  it("refuses an unknown onDuplicate, naming the choices", async () => {
    const r = await call(s.client, "memory_store", { key: "x", value: NOTE, onDuplicate: "drop" });
    expect(r.isError).toBe(true);
    expect(textOf(r)).toMatch(/onDuplicate 'drop' is not one of: keep, skip, merge-tags/);
  });
});

describe("values that look like secrets", () => {
  it("are stored and reported by default, naming what they seem to hold", async () => {
    const r = await call(s.client, "memory_store", { key: "ci/setup", value: { token: GITHUB, key: PEM } });
    const out = r.structuredContent as Stored;
    expect(out.secrets?.kinds.sort()).toEqual(["GitHub token", "private key"]);
    expect(out.secrets?.masked).toBe(false);
    expect(textOf(r)).toMatch(/looks like it holds a secret.*memory_delete.*"mask"/);
    const got = await ok<{ entry: { value: { token: string } } }>(s.client, "memory_get", {
      key: "ci/setup",
    });
    expect(got.entry.value.token).toBe(GITHUB);
  });

  it("are masked before storing when memory.secrets is mask", async () => {
    const value = `call the API with Authorization: Bearer ${"x9Y8z7W6v5".repeat(3)} and AKIAIOSFODNN7EXAMPLE`;
    const out = await ok<Stored>(m.client, "memory_store", { key: "api/how", value });
    expect(out.secrets).toMatchObject({ masked: true });
    expect(out.secrets?.kinds.sort()).toEqual(["AWS access key id", "bearer token"]);
    const got = await ok<{ entry: { value: string } }>(m.client, "memory_get", { key: "api/how" });
    expect(got.entry.value).toBe("call the API with Authorization: [secret masked] and [secret masked]");
  });

  it("are reported by batch_store too, and masked there when memory.secrets is mask", async () => {
    const entries = [
      { key: "b/plain", value: "nothing to see" },
      { key: "b/token", value: `deploy with ${GITHUB}` },
    ];
    const plain = await ok<{
      stored: number;
      secrets?: { entries: number; keys: string[]; masked: boolean };
    }>(s.client, "batch_store", { entries });
    expect(plain.stored).toBe(2);
    expect(plain.secrets).toMatchObject({ entries: 1, keys: ["b/token"], masked: false });
    const masked = await ok<{ secrets?: { masked: boolean } }>(m.client, "batch_store", { entries });
    expect(masked.secrets?.masked).toBe(true);
    const got = await ok<{ entry: { value: string } }>(m.client, "memory_get", { key: "b/token" });
    expect(got.entry.value).toBe("deploy with [secret masked]");
  });

  it("leave ordinary text alone", async () => {
    const out = await ok<Stored>(s.client, "memory_store", {
      key: "plain",
      value: "commit 3f9a2c1e8b7d6f5a4e3d2c1b0a9f8e7d6c5b4a39 fixed the skeleton key handler",
    });
    expect(out.secrets).toBeUndefined();
  });
});
