// Another core for the coded scan (GalleryMatcher.searchCoded). The int8 kernel reads every code
// once per probe, so one thread is bound by how fast one core streams memory (~3.2 ms per 100,000
// 512-D codes here); two threads, each scanning its own blocks, measured 1.8 ms for the same
// 100,000. coded-scan-threads.ts decides how many helpers there are and pins them. usearch takes
// only memory it owns (not a SharedArrayBuffer), so a helper keeps its own copy of the blocks it
// scans, kept in step by CodedRows (coded-rows.ts): whole blocks the first time, changed rows
// after that. Messages are handled in the order they were posted, so a scan
// always sees every change sent before it.
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type { CodedBlockCopy } from './coded-rows.js';
import type { TopRows } from './int8-top-rows.js';
import { pinThread } from './thread-affinity.js';
import { closeWorker } from './worker-shutdown.js';

/** The first `rows` rows of block `block`, to be scanned for their `count` best code dots. */
export interface HelperPart {
  readonly block: number;
  readonly rows: number;
}

type Job =
  | { readonly op: 'block'; readonly block: number; readonly blockBytes: number; readonly codes: Int8Array }
  | { readonly op: 'rows'; readonly block: number; readonly dimension: number; readonly offsets: Int32Array; readonly codes: Int8Array }
  | { readonly op: 'scan'; readonly id: number; readonly probe: Int8Array; readonly count: number; readonly parts: readonly HelperPart[] };

interface Reply {
  readonly id: number;
  /** The first message: the kernel's id of the helper's thread (null where it has none to read). */
  readonly threadId?: number | null;
  readonly found?: TopRows[];
  readonly error?: string;
}

// CommonJS in a string, like the other workers: runs the same from dist/ and under the test
// runner. A block arrives as the codes of its first rows; its copy is allocated whole, so rows
// added later land in place. Nothing is fixed per worker: a model with another embedding length
// (a reload) just sends its blocks. usearch's inner-product distance is 1 - dot, exact in float32
// for int8 codes (int8-top-rows.ts).
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { exactSearch } = require(workerData.usearchPath);
// Below the event-loop thread and the camera models (on Linux a worker's priority is its own):
// where the two share a core, they go first and the helper scans in what is left.
try { require('node:os').setPriority(Math.min(19, require('node:os').getPriority() + workerData.niceness)); } catch {}
// Its thread id, so that the creator can give it a CPU of its own (thread-affinity.ts).
let threadId = null;
try { threadId = Number(require('node:fs').readlinkSync('/proc/thread-self').split('/').pop()) || null; } catch {}
parentPort.postMessage({ id: -1, threadId });
const blocks = [];
parentPort.on('message', (job) => {
  if (job.op === 'close') return parentPort.close(); // jobs run one at a time: nothing in flight
  try {
    if (job.op === 'block') {
      if (blocks[job.block]?.length !== job.blockBytes) blocks[job.block] = new Int8Array(job.blockBytes);
      blocks[job.block].set(job.codes);
    } else if (job.op === 'rows') {
      const { dimension, offsets, codes } = job;
      offsets.forEach((offset, i) => blocks[job.block].set(codes.subarray(i * dimension, (i + 1) * dimension), offset * dimension));
    } else if (job.op === 'scan') {
      const dimension = job.probe.length;
      const found = job.parts.map(({ block, rows }) => {
        const wanted = Math.min(job.count, rows);
        if (wanted < 1) return { rows: [], dots: [] };
        const r = exactSearch(blocks[block].subarray(0, rows * dimension), job.probe, dimension, wanted, 'ip', 1);
        return { rows: Array.from(r.keys, Number), dots: Array.from(r.distances, (d) => 1 - d) };
      });
      parentPort.postMessage({ id: job.id, found });
    }
  } catch (err) {
    parentPort.postMessage({ id: job.id ?? 0, error: String((err && err.message) || err) });
  }
});
`;

/** What GalleryMatcher.searchCoded needs of a helper: a copy of blocks it can scan. */
export interface BlockScanHelper extends CodedBlockCopy {
  /** Why it can no longer scan; null while healthy. */
  readonly broken: Error | null;
  /** The best `count` rows of each part, in order. */
  scan(probe: Int8Array, count: number, parts: readonly HelperPart[]): Promise<TopRows[]>;
}

/**
 * How much lower the helper's priority is than its creator's. Measured on this two-core machine:
 * at the same priority, when the scheduler put the helper on the event-loop thread's core, it
 * held the loop for up to 10.2 ms per probe at 1M templates (6.5 ms with no helper); pinned
 * helpers at the same priority held it 13.3 ms.
 */
const HELPER_NICENESS = 10;

export class CodedScanHelper implements BlockScanHelper {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (found: TopRows[]) => void; reject: (err: Error) => void }>();
  private failure: Error | null = null;
  /** Whose blocks the copy holds (CodedRows.mirrorTo): another gallery's rows are sent afresh. */
  mirrorOf: object | null = null;
  private readonly threadId: Promise<number | null>;
  private announceThreadId: (threadId: number | null) => void = () => {};

  private constructor(private readonly worker: Worker) {
    this.threadId = new Promise((resolve) => (this.announceThreadId = resolve));
    worker.on('message', (reply: Reply) => this.settle(reply));
    worker.on('error', (err) => this.fail(err));
    worker.on('exit', (code) => this.fail(new Error(`coded scan helper exited (${code})`)));
    worker.unref(); // an idle helper never keeps the process alive; a scan in flight does
  }

  static create(): CodedScanHelper {
    const usearchPath = createRequire(import.meta.url).resolve('usearch');
    return new CodedScanHelper(new Worker(WORKER_SOURCE, { eval: true, workerData: { usearchPath, niceness: HELPER_NICENESS } }));
  }

  /** Why the helper can no longer scan (a failed update, the worker gone); null while healthy. */
  get broken(): Error | null {
    return this.failure;
  }

  /** Runs the helper on `cpu` only (Linux; rejects with the reason where it cannot). */
  async pinTo(cpu: number): Promise<void> {
    this.worker.ref(); // an idle helper does not keep the process alive, but this wait must
    const threadId = await this.threadId;
    if (this.pending.size === 0) this.worker.unref();
    if (threadId === null) throw new Error(this.failure?.message ?? 'the helper thread has no thread id to pin (not Linux?)');
    await pinThread(threadId, [cpu]);
  }

  /** Block `block` (`blockBytes` of codes) holds `codes` from its start (transferred, not copied). */
  putBlock(block: number, blockBytes: number, codes: Int8Array<ArrayBuffer>): void {
    this.post({ op: 'block', block, blockBytes, codes }, [codes.buffer]);
  }

  /** Rows `offsets` of block `block` (`dimension` codes each, in order) are `codes` (transferred). */
  putRows(block: number, dimension: number, offsets: Int32Array<ArrayBuffer>, codes: Int8Array<ArrayBuffer>): void {
    this.post({ op: 'rows', block, dimension, offsets, codes }, [offsets.buffer, codes.buffer]);
  }

  scan(probe: Int8Array, count: number, parts: readonly HelperPart[]): Promise<TopRows[]> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.ref();
      this.post({ op: 'scan', id, probe: Int8Array.from(probe), count, parts });
    });
  }

  /** Refuses new scans, answers those already posted, then ends the worker. */
  async close(): Promise<void> {
    this.failure ??= new Error('coded scan helper closed');
    await closeWorker(this.worker);
  }

  private post(job: Job, transfer: ArrayBuffer[] = []): void {
    if (!this.failure) this.worker.postMessage(job, transfer);
  }

  private settle(reply: Reply): void {
    if (reply.id === -1) return this.announceThreadId(reply.threadId ?? null);
    // An update that failed leaves the copy unknown: every later scan would be unproven.
    if (reply.id === 0) return this.fail(new Error(`coded scan helper update failed: ${reply.error}`));
    const waiter = this.pending.get(reply.id);
    if (!waiter) return;
    this.pending.delete(reply.id);
    if (this.pending.size === 0) this.worker.unref();
    if (reply.found) waiter.resolve(reply.found);
    else waiter.reject(new Error(`coded scan failed: ${reply.error ?? 'no result'}`));
  }

  private fail(err: Error): void {
    this.failure ??= err;
    this.announceThreadId(null); // a helper that never started has no thread to pin
    for (const waiter of this.pending.values()) waiter.reject(err);
    this.pending.clear();
  }
}
