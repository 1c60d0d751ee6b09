/**
 * The HTTP client for an embedding endpoint (`memory.embeddings`). Two wire formats:
 *
 * - `openai-compatible`: POST url `{ model, input: [...], dimensions? }` → `{ data: [{ index, embedding }] }`,
 *   with `Authorization: Bearer $<apiKeyEnv>` when `apiKeyEnv` names an environment variable.
 * - `ollama` (`/api/embed`): POST url `{ model, input: [...] }` → `{ embeddings: [[...]] }`.
 *
 * Every failure is a `MemoryError("UNAVAILABLE")` whose message names the url and the config
 * field to look at, so an agent (or a person) can tell "endpoint down" from "wrong model".
 *
 * @example
 *   const client = new EmbeddingClient({ ...config.embeddings, url: "http://127.0.0.1:11434/api/embed" });
 *   const [a, b] = await client.embed(["login uses OAuth2", "how do we authenticate"]);
 */
import type { MemoryConfig } from "../../config/config.js";
import { errorMessage, MemoryError } from "../../domain/errors.js";

export type EmbeddingsConfig = MemoryConfig["embeddings"];

/** How to turn embeddings on; the text of every "semantic is off" answer. */
export const ENABLE_HINT =
  "set memory.embeddings.enabled to true with provider ('openai-compatible' or 'ollama'), url and model in claude-flow.config.json (entry text is then sent to that endpoint)";

export class EmbeddingClient {
  constructor(
    readonly config: EmbeddingsConfig,
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {}

  /** What a vector depends on besides the text: a change re-embeds everything. */
  get fingerprint(): string {
    const c = this.config;
    return `${c.provider}|${c.url}|${c.model}|${c.dimensions ?? ""}`;
  }

  /** Throws UNAVAILABLE when the configuration cannot work at all (no url, no model, bad url). */
  check(): void {
    const c = this.config;
    if (!c.url) throw unavailable("memory.embeddings.url is empty: set it to the embedding endpoint");
    let url: URL;
    try {
      url = new URL(c.url);
    } catch {
      throw unavailable(
        `memory.embeddings.url '${c.url}' is not a URL: use e.g. http://127.0.0.1:11434/api/embed`,
      );
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") {
      throw unavailable(`memory.embeddings.url '${c.url}' must be http:// or https://`);
    }
    if (!c.model)
      throw unavailable(`memory.embeddings.model is empty: name the embedding model ${c.url} serves`);
    if (c.apiKeyEnv && !this.env[c.apiKeyEnv]) {
      throw unavailable(
        `environment variable ${c.apiKeyEnv} (memory.embeddings.apiKeyEnv) is not set: export the API key for ${c.url}`,
      );
    }
  }

  /** One vector per text, in order. One HTTP request: callers batch (memory.embeddings.batchSize). */
  async embed(texts: readonly string[], signal?: AbortSignal): Promise<Float32Array[]> {
    this.check();
    if (texts.length === 0) return [];
    const c = this.config;
    const body =
      c.provider === "ollama"
        ? { model: c.model, input: texts }
        : { model: c.model, input: texts, ...(c.dimensions ? { dimensions: c.dimensions } : {}) };
    const headers: Record<string, string> = {
      "content-type": "application/json",
      accept: "application/json",
    };
    const key = c.apiKeyEnv ? this.env[c.apiKeyEnv] : undefined;
    if (key) headers.authorization = `Bearer ${key}`;
    const timeout = AbortSignal.timeout(c.timeoutMs);
    let response: Response;
    let raw: string;
    try {
      response = await fetch(c.url, {
        method: "POST",
        headers,
        body: JSON.stringify(body),
        signal: signal ? AbortSignal.any([timeout, signal]) : timeout,
      });
      raw = await response.text();
    } catch (error) {
      if (timeout.aborted) {
        throw unavailable(
          `embedding endpoint ${c.url} (memory.embeddings.url) did not answer within ${c.timeoutMs} ms (memory.embeddings.timeoutMs)`,
          true,
        );
      }
      if (signal?.aborted) throw new MemoryError("CANCELLED", "the request was cancelled");
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      throw unavailable(
        `embedding endpoint ${c.url} (memory.embeddings.url) cannot be reached: ${cause?.code ?? cause?.message ?? errorMessage(error)}`,
        true,
      );
    }
    if (!response.ok) {
      const auth =
        response.status === 401 || response.status === 403
          ? ` (check the key in ${c.apiKeyEnv ? `$${c.apiKeyEnv}` : "the variable named by memory.embeddings.apiKeyEnv"})`
          : response.status === 404
            ? " (check memory.embeddings.url and memory.embeddings.model)"
            : "";
      throw unavailable(
        `embedding endpoint ${c.url} (memory.embeddings.url) answered HTTP ${response.status}${auth}: ${raw.slice(0, 200)}`,
        response.status === 429 || response.status >= 500,
      );
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch {
      throw unavailable(
        `embedding endpoint ${c.url} (memory.embeddings.url) answered with something that is not JSON`,
      );
    }
    return this.vectorsOf(parsed, texts.length);
  }

  private vectorsOf(parsed: unknown, count: number): Float32Array[] {
    const c = this.config;
    const shape =
      c.provider === "ollama"
        ? "{ embeddings: [[...]] } (memory.embeddings.provider is 'ollama')"
        : "{ data: [{ index, embedding }] } (memory.embeddings.provider is 'openai-compatible')";
    const bad = (why: string) =>
      unavailable(`embedding endpoint ${c.url} (memory.embeddings.url) answered ${why}; expected ${shape}`);
    let arrays: unknown[];
    if (c.provider === "ollama") {
      const e = (parsed as { embeddings?: unknown } | null)?.embeddings;
      if (!Array.isArray(e)) throw bad("without an embeddings array");
      arrays = e;
    } else {
      const data = (parsed as { data?: unknown } | null)?.data;
      if (!Array.isArray(data)) throw bad("without a data array");
      arrays = new Array(data.length);
      data.forEach((d: { index?: unknown; embedding?: unknown }, i) => {
        const at = Number.isInteger(d?.index) ? (d.index as number) : i;
        if (at < 0 || at >= data.length) throw bad(`an index ${String(at)} out of range`);
        arrays[at] = d?.embedding;
      });
    }
    if (arrays.length !== count) throw bad(`${arrays.length} vectors for ${count} inputs`);
    let dims = c.dimensions;
    return arrays.map((a) => {
      if (
        !Array.isArray(a) ||
        a.length === 0 ||
        !a.every((x) => typeof x === "number" && Number.isFinite(x))
      ) {
        throw bad("a vector that is not a non-empty array of numbers");
      }
      if (dims === undefined) dims = a.length;
      if (a.length !== dims) {
        throw unavailable(
          `embedding endpoint ${c.url} answered vectors of ${a.length} dimensions, expected ${dims}${
            c.dimensions ? " (memory.embeddings.dimensions)" : ""
          }: check memory.embeddings.model and memory.embeddings.dimensions`,
        );
      }
      return Float32Array.from(a as number[]);
    });
  }
}

function unavailable(message: string, retryable = false): MemoryError {
  return new MemoryError("UNAVAILABLE", message, retryable ? { retryable: true } : undefined);
}

/** Network failures, timeouts, 429 and 5xx are worth another attempt; a 400 or a bad shape is not. */
export function isRetryableEmbeddingError(error: unknown): boolean {
  return error instanceof MemoryError && error.details?.retryable === true;
}
