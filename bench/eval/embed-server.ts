/**
 * A small deterministic embedding server on 127.0.0.1 for tests and the retrieval evaluation.
 * It speaks both wire formats the client supports (openai-compatible and ollama) and embeds a
 * text as a hashed bag of stemmed words (plus, at a lower weight, character trigrams), so
 * texts sharing words are close and a typo still shares most trigrams. Not a language model:
 * it measures the semantic code path, not semantic quality.
 *
 * @example
 *   const server = await startEmbeddingServer({ provider: "ollama" });
 *   // config: { embeddings: { enabled: true, provider: "ollama", url: server.url, model: "hash" } }
 *   await server.close();
 */
import { createHash } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { stem, tokens } from "../../src/search/api.js";

export interface EmbeddingServerOptions {
  provider?: "openai-compatible" | "ollama";
  dimensions?: number;
  /** Required bearer token (openai-compatible); requests without it get 401. */
  apiKey?: string;
}

export interface EmbeddingServer {
  url: string;
  /** Texts embedded so far, in request order. */
  readonly inputs: string[];
  /** Requests answered so far. */
  readonly requests: number;
  /** When set, every request gets this HTTP status (e.g. 503) instead of vectors. */
  failWith: number | undefined;
  close(): Promise<void>;
}

const STOP = new Set([
  "the",
  "a",
  "an",
  "of",
  "to",
  "in",
  "is",
  "and",
  "or",
  "for",
  "on",
  "how",
  "do",
  "we",
  "what",
]);

function bucket(feature: string, dims: number): [number, number] {
  const h = createHash("md5").update(feature).digest();
  return [h.readUInt32LE(0) % dims, h[4] !== undefined && h[4] & 1 ? 1 : -1];
}

/** The deterministic embedding of `text` (not normalized). */
export function hashEmbedding(text: string, dims = 256): number[] {
  const v = new Array<number>(dims).fill(0);
  for (const word of tokens(text)) {
    if (STOP.has(word)) continue;
    const s = stem(word);
    const [i, sign] = bucket(`w:${s}`, dims);
    v[i] = (v[i] as number) + sign;
    const padded = `^${s}$`;
    for (let j = 0; j + 3 <= padded.length; j++) {
      const [t, tsign] = bucket(`t:${padded.slice(j, j + 3)}`, dims);
      v[t] = (v[t] as number) + 0.25 * tsign;
    }
  }
  return v;
}

export async function startEmbeddingServer(options: EmbeddingServerOptions = {}): Promise<EmbeddingServer> {
  const provider = options.provider ?? "openai-compatible";
  const dims = options.dimensions ?? 256;
  const state = { inputs: [] as string[], requests: 0, failWith: undefined as number | undefined };
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      state.requests++;
      const send = (status: number, body: unknown) => {
        res.writeHead(status, { "content-type": "application/json" });
        res.end(JSON.stringify(body));
      };
      if (state.failWith !== undefined) return send(state.failWith, { error: "failing on purpose" });
      if (req.method !== "POST") return send(405, { error: "POST only" });
      if (options.apiKey && req.headers.authorization !== `Bearer ${options.apiKey}`) {
        return send(401, { error: "bad or missing API key" });
      }
      let body: { model?: unknown; input?: unknown };
      try {
        body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
      } catch {
        return send(400, { error: "body is not JSON" });
      }
      const input = typeof body.input === "string" ? [body.input] : body.input;
      if (
        typeof body.model !== "string" ||
        !Array.isArray(input) ||
        !input.every((t) => typeof t === "string")
      ) {
        return send(400, { error: "expected { model, input: [...] }" });
      }
      state.inputs.push(...(input as string[]));
      const vectors = (input as string[]).map((t) => hashEmbedding(t, dims));
      if (provider === "ollama") return send(200, { model: body.model, embeddings: vectors });
      // Out of order on purpose: clients must place vectors by `index`.
      const data = vectors.map((embedding, index) => ({ object: "embedding", index, embedding })).reverse();
      return send(200, { object: "list", model: body.model, data });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const path = provider === "ollama" ? "/api/embed" : "/v1/embeddings";
  return {
    url: `http://127.0.0.1:${port}${path}`,
    get inputs() {
      return state.inputs;
    },
    get requests() {
      return state.requests;
    },
    get failWith() {
      return state.failWith;
    },
    set failWith(status: number | undefined) {
      state.failWith = status;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
