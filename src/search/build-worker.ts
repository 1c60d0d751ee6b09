/** Worker-thread entry for parallel builds (see build.ts): analyze one chunk per message. */
import { parentPort } from "node:worker_threads";
import { analyzeChunk } from "./analyze.js";
import type { WorkerJob, WorkerReply } from "./build.js";

const port = parentPort;
if (port === null) throw new Error("build-worker.js must run as a worker thread");

port.on("message", (job: WorkerJob) => {
  let reply: WorkerReply;
  try {
    reply = { id: job.id, chunk: analyzeChunk(job.texts, job.stopWords) };
  } catch (err) {
    reply = { id: job.id, error: err instanceof Error ? err.message : String(err) };
  }
  const transfer = reply.chunk === undefined ? [] : [reply.chunk.numbers.buffer as ArrayBuffer];
  port.postMessage(reply, transfer);
});
