/** Worker-thread entry for parallel builds (see build.ts): analyze one chunk per message. */
import { parentPort, workerData } from "node:worker_threads";
import { ChunkAnalyzer, transferList, type WorkerInit, type WorkerJob, type WorkerReply } from "./build.js";

const port = parentPort;
if (port === null) throw new Error("build-worker.js must run as a worker thread");
const analyzer = new ChunkAnalyzer((workerData as WorkerInit).stopWords);

port.on("message", (job: WorkerJob) => {
  let reply: WorkerReply;
  try {
    reply = analyzer.analyze(job);
  } catch (err) {
    port.postMessage({ id: job.id, error: err instanceof Error ? err.message : String(err) });
    return;
  }
  port.postMessage(reply, transferList(reply));
});
