// The gallery scan (the MatMul of gallery-scanner.ts) on a worker thread of its own, so a
// campus-sized search never holds the event loop: onnxruntime-node runs a session on the thread
// that calls it. The matcher keeps its rows in a SharedArrayBuffer, so a scan posts the buffer
// (shared, not copied) and the probes, and gets the scores back (transferred, not copied). The
// worker keeps a private copy of the rows (onnxruntime does not take shared memory), refreshed
// only when the gallery changed: memory for a second copy of the templates is the price.
// The worker's code is a small CommonJS string, so it runs the same from dist/ and under the
// test runner, without a build step of its own.
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { GALLERY_SCAN_ONNX_BASE64 } from './gallery-scanner.js';
import type { GalleryScanner } from './matcher.js';
import { closeWorker } from './worker-shutdown.js';

const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const ort = require(workerData.ortPath);
const ready = ort.InferenceSession.create(Buffer.from(workerData.model, 'base64'), {
  graphOptimizationLevel: 'all',
  logSeverityLevel: 3,
  intraOpNumThreads: workerData.intraOpThreads,
  extra: { session: { intra_op: { allow_spinning: workerData.allowSpinning ? '1' : '0' } } },
});
// onnxruntime refuses tensors over shared memory: the worker keeps its own copy of the rows,
// refreshed when their generation changes (an enrolment, a deletion), off the main thread.
let copy = { generation: null, rows: null };
const running = new Set();
parentPort.on('message', (job) => {
  if (job.op === 'close') {
    // Exits once the session exists and no scan runs: see worker-shutdown.ts for why.
    Promise.allSettled([ready, ...running]).then(() => parentPort.close());
    return;
  }
  const scan = answer(job);
  running.add(scan);
  scan.finally(() => running.delete(scan));
});
async function answer(job) {
  try {
    const session = await ready;
    if (job.generation === undefined || job.generation !== copy.generation || copy.rows.length !== job.rowCount * job.dimension) {
      copy = { generation: job.generation, rows: new Float32Array(new Float32Array(job.buffer, job.byteOffset, job.rowCount * job.dimension)) };
    }
    const rows = copy.rows;
    const out = await session.run({
      rows: new ort.Tensor('float32', rows, [job.rowCount, job.dimension]),
      probes: new ort.Tensor('float32', job.probes, [job.dimension, job.probeCount]),
    });
    const scores = Float32Array.from(out.scores.data);
    parentPort.postMessage({ id: job.id, scores }, [scores.buffer]);
  } catch (err) {
    parentPort.postMessage({ id: job.id, error: String((err && err.message) || err) });
  }
}
`;

interface Reply {
  readonly id: number;
  readonly scores?: Float32Array;
  readonly error?: string;
}

export interface WorkerGalleryScannerOptions {
  /** ORT threads inside the worker (default 1: the camera models need the other cores). */
  readonly intraOpThreads?: number;
  readonly allowSpinning?: boolean;
}

export class WorkerGalleryScanner implements GalleryScanner {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (scores: Float32Array) => void; reject: (err: Error) => void }>();
  /** Why the worker is gone (closed, crashed); a scan after that is refused, not left waiting. */
  private gone: Error | null = null;

  private constructor(private readonly worker: Worker) {
    worker.on('message', (reply: Reply) => {
      const waiter = this.pending.get(reply.id);
      if (!waiter) return;
      this.pending.delete(reply.id);
      if (this.pending.size === 0) worker.unref();
      if (reply.scores) waiter.resolve(reply.scores);
      else waiter.reject(new Error(`gallery scan failed: ${reply.error ?? 'no result'}`));
    });
    worker.on('error', (err) => this.failAll(err));
    worker.on('exit', (code) => {
      this.gone = new Error(`gallery scan worker exited (${code})`);
      this.failAll(this.gone);
    });
    worker.unref(); // an idle scanner never keeps the process alive; a scan in flight does
  }

  static create(opts: WorkerGalleryScannerOptions = {}): WorkerGalleryScanner {
    const threads = opts.intraOpThreads ?? 1;
    if (!Number.isInteger(threads) || threads < 1) throw new RangeError(`intraOpThreads must be a positive integer, got ${threads}`);
    const ortPath = createRequire(import.meta.url).resolve('onnxruntime-node');
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { ortPath, model: GALLERY_SCAN_ONNX_BASE64, intraOpThreads: threads, allowSpinning: opts.allowSpinning ?? false },
    });
    return new WorkerGalleryScanner(worker);
  }

  scan(rows: Float32Array, rowCount: number, dimension: number, probes: Float32Array, probeCount: number, generation?: string): Promise<Float32Array> {
    if (rows.length < rowCount * dimension || probes.length !== dimension * probeCount) {
      return Promise.reject(new RangeError(`scan: ${rows.length} row values or ${probes.length} probe values do not fit ${rowCount} x ${dimension} x ${probeCount}`));
    }
    if (this.gone) return Promise.reject(this.gone);
    // Rows not in shared memory (a matcher built elsewhere) are copied: correct, only slower.
    const shared = rows.buffer instanceof SharedArrayBuffer ? rows : Float32Array.from(rows.subarray(0, rowCount * dimension));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.ref();
      this.worker.postMessage({ id, buffer: shared.buffer, byteOffset: shared.byteOffset, rowCount, dimension, probes: Float32Array.from(probes), probeCount, generation: shared === rows ? generation : undefined });
    });
  }

  /** Lets a scan in flight finish, then ends the worker (never terminate(): see worker-shutdown.ts). */
  async close(): Promise<void> {
    await closeWorker(this.worker);
  }

  private failAll(err: Error): void {
    for (const waiter of this.pending.values()) waiter.reject(err);
    this.pending.clear();
  }
}
