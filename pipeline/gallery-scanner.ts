// GalleryScanner on onnxruntime: one MatMul of the gallery rows by the probes, run by ORT's
// MLAS kernels (AVX2/AVX-512/NEON). A brute-force scan in JavaScript is bound by scalar
// multiply-adds (about 6 GB/s of templates here); MLAS reads the rows at close to memory
// bandwidth. The rows are handed over without a copy (the tensor wraps the matcher's
// Float32Array). Note: onnxruntime-node (1.30) runs a session on the calling thread — `run` is a
// blocking call deferred by setImmediate — so this scanner holds the event loop while it scans;
// the decision path uses WorkerGalleryScanner (gallery-scan-worker.ts), which does not.
import * as ort from 'onnxruntime-node';
import { SerialQueue } from './execution-providers.js';
import type { GalleryScanner } from './matcher.js';

/**
 * MatMul(rows [n, d], probes [d, k]) -> scores [n, k], every dimension symbolic; 181 bytes of
 * ONNX built with onnx.helper by bench/models/make_gallery_scan.py (run it to regenerate).
 */
export const GALLERY_SCAN_ONNX_BASE64 =
  'CAcSCG1hc2tnYXRlOqABCh4KBHJvd3MKBnByb2JlcxIGc2NvcmVzIgZNYXRNdWwSDGdhbGxlcnlfc2NhblojCgRyb3dzEhsKGQgBEhUKBhIEcm93cwoLEglkaW1lbnNpb25aJwoGcHJvYmVzEh0KGwgBEhcKCxIJZGltZW5zaW9uCggSBnByb2Jlc2IiCgZzY29yZXMSGAoWCAESEgoGEgRyb3dzCggSBnByb2Jlc0IECgAQDQ==';

export interface OnnxGalleryScannerOptions {
  /** ORT threads for the matrix product (default 1: the appliance's other models need the rest). */
  readonly intraOpThreads?: number;
  readonly allowSpinning?: boolean;
}

export class OnnxGalleryScanner implements GalleryScanner {
  // Scans are serialised: each one already saturates memory bandwidth.
  private readonly queue = new SerialQueue();

  private constructor(private readonly session: ort.InferenceSession) {}

  static async create(opts: OnnxGalleryScannerOptions = {}): Promise<OnnxGalleryScanner> {
    const threads = opts.intraOpThreads ?? 1;
    if (!Number.isInteger(threads) || threads < 1) throw new RangeError(`intraOpThreads must be a positive integer, got ${threads}`);
    const session = await ort.InferenceSession.create(Buffer.from(GALLERY_SCAN_ONNX_BASE64, 'base64'), {
      graphOptimizationLevel: 'all',
      logSeverityLevel: 3,
      intraOpNumThreads: threads,
      extra: { session: { intra_op: { allow_spinning: opts.allowSpinning ? '1' : '0' } } },
    });
    return new OnnxGalleryScanner(session);
  }

  scan(rows: Float32Array, rowCount: number, dimension: number, probes: Float32Array, probeCount: number): Promise<Float32Array> {
    if (rows.length < rowCount * dimension || probes.length !== dimension * probeCount) {
      return Promise.reject(new RangeError(`scan: ${rows.length} row values or ${probes.length} probe values do not fit ${rowCount} x ${dimension} x ${probeCount}`));
    }
    return this.queue.run(async () => {
      const result = await this.session.run({
        rows: new ort.Tensor('float32', rows.subarray(0, rowCount * dimension), [rowCount, dimension]),
        probes: new ort.Tensor('float32', probes, [dimension, probeCount]),
      });
      const scores = result['scores']?.data;
      if (!(scores instanceof Float32Array) || scores.length !== rowCount * probeCount) {
        throw new Error(`gallery scan returned ${scores instanceof Float32Array ? scores.length : typeof scores} scores for ${rowCount} x ${probeCount}`);
      }
      return scores;
    });
  }

  async close(): Promise<void> {
    await this.queue.run(() => this.session.release());
  }
}
