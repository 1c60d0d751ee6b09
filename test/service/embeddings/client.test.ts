/** The embedding client over real HTTP on 127.0.0.1: both wire formats, auth, and every failure named. */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type EmbeddingServer,
  hashEmbedding,
  startEmbeddingServer,
} from "../../../bench/eval/embed-server.js";
import { defaultConfig } from "../../../src/config/config.js";
import { EmbeddingClient, type EmbeddingsConfig } from "../../../src/service/embeddings/client.js";
import { dot, normalize } from "../../../src/service/embeddings/vectors.js";

const base = defaultConfig().embeddings;
const cfg = (extra: Partial<EmbeddingsConfig>): EmbeddingsConfig => ({
  ...base,
  enabled: true,
  model: "hash",
  ...extra,
});

let openai: EmbeddingServer;
let ollama: EmbeddingServer;
let hanging: Server;
let hangingUrl: string;

beforeAll(async () => {
  [openai, ollama] = await Promise.all([
    startEmbeddingServer({ provider: "openai-compatible", apiKey: "sekret" }),
    startEmbeddingServer({ provider: "ollama" }),
  ]);
  hanging = createServer(() => {}); // accepts, never answers
  await new Promise<void>((r) => hanging.listen(0, "127.0.0.1", r));
  hangingUrl = `http://127.0.0.1:${(hanging.address() as AddressInfo).port}/v1/embeddings`;
});

afterAll(async () => {
  hanging.closeAllConnections();
  await Promise.all([openai.close(), ollama.close(), new Promise((r) => hanging.close(r))]);
});

describe("EmbeddingClient", () => {
  it("openai-compatible: sends the bearer key from apiKeyEnv and places vectors by index", async () => {
    const client = new EmbeddingClient(cfg({ url: openai.url, apiKeyEnv: "EMB_KEY" }), { EMB_KEY: "sekret" });
    const texts = ["database backups", "login flow", "nightly database backup"];
    const vectors = await client.embed(texts);
    expect(vectors).toHaveLength(3);
    // The server answers in reverse order; vectors must still match their inputs.
    texts.forEach((t, i) => {
      expect(Array.from(vectors[i] ?? [])).toEqual(hashEmbedding(t));
    });
    const [a, b, c] = vectors.map((v) => normalize(v));
    expect(dot(a as Float32Array, c as Float32Array)).toBeGreaterThan(
      dot(a as Float32Array, b as Float32Array),
    );
  });

  it("ollama: reads { embeddings }", async () => {
    const client = new EmbeddingClient(cfg({ provider: "ollama", url: ollama.url }));
    const [v] = await client.embed(["hello world"]);
    expect(Array.from(v ?? [])).toEqual(hashEmbedding("hello world"));
  });

  it("names the key variable on 401 and when it is not set", async () => {
    const wrong = new EmbeddingClient(cfg({ url: openai.url, apiKeyEnv: "EMB_KEY" }), { EMB_KEY: "nope" });
    await expect(wrong.embed(["x"])).rejects.toThrow(/HTTP 401.*\$EMB_KEY/);
    const unset = new EmbeddingClient(cfg({ url: openai.url, apiKeyEnv: "EMB_KEY" }), {});
    await expect(unset.embed(["x"])).rejects.toThrow(/EMB_KEY \(memory\.embeddings\.apiKeyEnv\) is not set/);
  });

  it("endpoint down: names the url and the config field", async () => {
    const down = new EmbeddingClient(cfg({ url: "http://127.0.0.1:9/v1/embeddings" }));
    await expect(down.embed(["x"])).rejects.toThrow(
      /embedding endpoint http:\/\/127\.0\.0\.1:9\/v1\/embeddings \(memory\.embeddings\.url\) cannot be reached/,
    );
  });

  it("a server that never answers: times out naming memory.embeddings.timeoutMs", async () => {
    const slow = new EmbeddingClient(cfg({ url: hangingUrl, timeoutMs: 200 }));
    await expect(slow.embed(["x"])).rejects.toThrow(
      /did not answer within 200 ms \(memory\.embeddings\.timeoutMs\)/,
    );
  });

  it("wrong provider, wrong dimensions, missing url or model: each says what to fix", async () => {
    const mismatched = new EmbeddingClient(
      cfg({ provider: "ollama", url: openai.url.replace("/v1", "/v1") }),
    );
    await expect(mismatched.embed(["x"])).rejects.toThrow(/HTTP 401|without an embeddings array/);
    const shape = new EmbeddingClient(cfg({ provider: "openai-compatible", url: ollama.url }));
    await expect(shape.embed(["x"])).rejects.toThrow(/without a data array.*openai-compatible/);
    const dims = new EmbeddingClient(cfg({ provider: "ollama", url: ollama.url, dimensions: 3 }));
    await expect(dims.embed(["x"])).rejects.toThrow(
      /256 dimensions, expected 3 \(memory\.embeddings\.dimensions\)/,
    );
    expect(() => new EmbeddingClient(cfg({ url: "" })).check()).toThrow(/memory\.embeddings\.url is empty/);
    expect(() => new EmbeddingClient(cfg({ url: ollama.url, model: "" })).check()).toThrow(
      /memory\.embeddings\.model/,
    );
    expect(() => new EmbeddingClient(cfg({ url: "ftp://x" })).check()).toThrow(/http/);
  });

  it("returns the server's error status with its message", async () => {
    ollama.failWith = 500;
    try {
      const client = new EmbeddingClient(cfg({ provider: "ollama", url: ollama.url }));
      await expect(client.embed(["x"])).rejects.toThrow(/answered HTTP 500: .*failing on purpose/);
    } finally {
      ollama.failWith = undefined;
    }
  });
});
