// Closing a worker thread that runs native code. `Worker.terminate()` stops the thread wherever it
// is; when an addon then calls back into the dying environment (onnxruntime-node finishing a
// session it was creating on its own threads, a usearch add returning), node-addon-api throws a
// C++ `Napi::Error` that nothing can catch, and std::terminate aborts the whole process — the
// appliance, or `maskgate embed` at its exit (create-then-close of the scan worker aborted the
// process in 3 runs of 3). So a worker is asked to close: it finishes its current job, closes its
// port and exits on its own; terminate() is only the last resort after `graceMs`.
import { once } from 'node:events';
import type { Worker } from 'node:worker_threads';

/** The message a worker's source must answer by finishing what it runs and closing its port. */
export const CLOSE_WORKER = { op: 'close' } as const;

export async function closeWorker(worker: Worker, graceMs = 10_000): Promise<void> {
  if (worker.threadId === -1) return; // already exited
  const exited = once(worker, 'exit');
  worker.ref(); // the process waits for a clean exit rather than ending the thread mid-call
  worker.postMessage(CLOSE_WORKER);
  const lastResort = setTimeout(() => void worker.terminate(), graceMs);
  try {
    await exited;
  } finally {
    clearTimeout(lastResort);
  }
}
