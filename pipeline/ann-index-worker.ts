// An approximate-nearest-neighbour index (HNSW, usearch: Apache-2.0, prebuilt for Linux x64 and
// arm64) on a worker thread of its own. At campus scale an exact float32 scan reads the whole
// gallery per probe (2 GB for a million 512-D templates), which no two-core appliance does in a
// door's time; the HNSW graph visits a few thousand templates instead. The index only proposes
// candidates: the caller re-ranks them exactly from its float32 rows (pipeline/ann-search.ts).
//
// Adding a million templates to the graph takes minutes, so the index lives on a worker, where
// neither the build nor a search ever holds the event loop. Messages are handled strictly in the
// order they were posted (one MessagePort, one synchronous handler), so a search sees every add
// and remove posted before it: the caller never has to wait for an acknowledgement to be exact.
//
// The index lives only in memory: nothing here writes it to disk (usearch's save/view are never
// called), so erasing a person from SQLite and from the matcher leaves no copy of their template
// behind, and a restart rebuilds it from the store.
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { closeWorker } from './worker-shutdown.js';

/** How the index stores its copy of each template: the re-rank always uses float32. */
export type AnnQuantization = 'f32' | 'f16' | 'i8';

export interface AnnIndexOptions {
  readonly dimension: number;
  /** HNSW graph degree (M): more links, better recall, more memory and a slower build. */
  readonly connectivity: number;
  /** Candidate list while adding (efConstruction): a better graph for a slower build. */
  readonly expansionAdd: number;
  /** Candidate list while searching (ef): recall against latency. */
  readonly expansionSearch: number;
  readonly quantization: AnnQuantization;
  /** Threads usearch uses to add a batch (a build); searches use one. */
  readonly addThreads: number;
}

/** Keys and cosine similarities of the nearest templates, best first. */
export interface AnnCandidates {
  readonly keys: Float64Array;
  readonly similarities: Float32Array;
}

type Job =
  | { readonly op: 'add'; readonly keys: Float64Array; readonly vectors: Float32Array }
  | { readonly op: 'remove'; readonly keys: Float64Array }
  | { readonly op: 'search'; readonly id: number; readonly probe: Float32Array; readonly count: number }
  | { readonly op: 'sync'; readonly id: number };

interface Reply {
  readonly id: number;
  readonly keys?: Float64Array;
  readonly similarities?: Float32Array;
  readonly size?: number;
  readonly error?: string;
}

// CommonJS in a string, like gallery-scan-worker.ts: it runs the same from dist/ and under the
// test runner. Keys travel as float64 (exact up to 2^53) and become uint64 only for usearch.
// An add or remove that fails is answered with id 0: the index is then broken, and the caller
// falls back to the exact scan rather than search an index that may lack a template.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { Index } = require(workerData.usearchPath);
const o = workerData.options;
const index = new Index({
  dimensions: o.dimension, metric: 'cos', quantization: o.quantization, connectivity: o.connectivity,
  expansion_add: o.expansionAdd, expansion_search: o.expansionSearch, multi: false,
});
const toKeys = (keys) => BigUint64Array.from(keys, (k) => BigInt(k));
parentPort.on('message', (job) => {
  // Jobs run one at a time and synchronously, so at a close nothing native is in flight.
  if (job.op === 'close') return parentPort.close();
  try {
    if (job.op === 'add') index.add(toKeys(job.keys), job.vectors, o.addThreads);
    else if (job.op === 'remove') index.remove(toKeys(job.keys));
    else if (job.op === 'sync') parentPort.postMessage({ id: job.id, size: index.size() });
    else if (job.op === 'search') {
      const found = index.search(job.probe, Math.min(job.count, Math.max(1, index.size())), 1);
      const keys = Float64Array.from(found.keys, (k) => Number(k));
      // usearch's cosine distance is 1 - cosine (scale-free, so int8 codes compare like the floats).
      const similarities = Float32Array.from(found.distances, (d) => 1 - d);
      parentPort.postMessage({ id: job.id, keys, similarities }, [keys.buffer, similarities.buffer]);
    }
  } catch (err) {
    parentPort.postMessage({ id: job.id ?? 0, error: String((err && err.message) || err) });
  }
});
`;

export class AnnIndexWorker {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (reply: Reply) => void; reject: (err: Error) => void }>();
  private failure: Error | null = null;

  private constructor(
    private readonly worker: Worker,
    readonly options: AnnIndexOptions,
  ) {
    worker.on('message', (reply: Reply) => this.settle(reply));
    worker.on('error', (err) => this.fail(err));
    worker.on('exit', (code) => this.fail(new Error(`ANN index worker exited (${code})`)));
    worker.unref(); // an idle index never keeps the process alive; a request in flight does
  }

  static create(options: AnnIndexOptions): AnnIndexWorker {
    const usearchPath = createRequire(import.meta.url).resolve('usearch');
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { usearchPath, options } });
    return new AnnIndexWorker(worker, options);
  }

  /** Why the index can no longer be trusted (a failed add, the worker gone); null while healthy. */
  get broken(): Error | null {
    return this.failure;
  }

  /** Queues `vectors` (one row per key, keys never reused); both arrays are transferred, not copied. */
  add(keys: Float64Array<ArrayBuffer>, vectors: Float32Array<ArrayBuffer>): void {
    this.post({ op: 'add', keys, vectors }, [keys.buffer, vectors.buffer]);
  }

  remove(keys: Float64Array<ArrayBuffer>): void {
    this.post({ op: 'remove', keys }, [keys.buffer]);
  }

  /** Resolves with the index's size once every change posted before it has been applied. */
  async sync(): Promise<number> {
    const reply = await this.request((id) => ({ op: 'sync', id }));
    return reply.size!;
  }

  /** The `count` nearest templates to the unit-length `probe`, as far as every earlier change. */
  async search(probe: Float32Array, count: number): Promise<AnnCandidates> {
    const reply = await this.request((id) => ({ op: 'search', id, probe: Float32Array.from(probe), count }));
    return { keys: reply.keys!, similarities: reply.similarities! };
  }

  async close(): Promise<void> {
    this.fail(new Error('ANN index closed'));
    // Jobs already posted run first (one port, in order); build() keeps at most one batch
    // queued, so a close waits for little (worker-shutdown.ts says why not terminate()).
    await closeWorker(this.worker);
  }

  private request(job: (id: number) => Job): Promise<Reply> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.ref();
      this.post(job(id));
    });
  }

  private post(job: Job, transfer: ArrayBuffer[] = []): void {
    if (this.failure) return;
    this.worker.postMessage(job, transfer);
  }

  private settle(reply: Reply): void {
    if (reply.error !== undefined && reply.id === 0) {
      this.fail(new Error(`ANN index update failed: ${reply.error}`));
      return;
    }
    const waiter = this.pending.get(reply.id);
    if (!waiter) return;
    this.pending.delete(reply.id);
    if (this.pending.size === 0) this.worker.unref();
    if (reply.error !== undefined) waiter.reject(new Error(`ANN search failed: ${reply.error}`));
    else waiter.resolve(reply);
  }

  private fail(err: Error): void {
    this.failure ??= err;
    for (const waiter of this.pending.values()) waiter.reject(err);
    this.pending.clear();
  }
}
