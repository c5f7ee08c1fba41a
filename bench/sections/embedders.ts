// Embedder throughput at several batch sizes through the appliance's own OnnxEmbedder: the
// shipped model(s) and the G2D-sized reference. A model with a fixed batch of 1 runs a batch
// as sequential runs (that is what OnnxEmbedder does with maxBatch 1).
import { statSync } from 'node:fs';
import { alignFace } from '../../pipeline/align.js';
import { OnnxEmbedder } from '../../pipeline/embedder.js';
import type { RgbImage } from '../../pipeline/types.js';
import type { BenchContext } from '../context.js';
import type { EmbedderResult } from '../report.js';
import { repeat, summarise } from '../stats.js';

export interface EmbedderRunOptions {
  readonly label: string;
  readonly path: string;
  readonly batches: readonly number[];
  readonly parameters: number | null;
  /** Recorded runs per batch: at least `minRuns`, more while `budgetMs` lasts. */
  readonly minRuns: number;
  readonly budgetMs: number;
}

/** 112x112 aligned crops of the scene's source faces, repeated to `count`. */
export async function alignedCrops(ctx: BenchContext, count: number): Promise<RgbImage[]> {
  const { faces } = await ctx.scenes();
  const crops = faces.map((f) => alignFace(f.photo, f.detection));
  return Array.from({ length: count }, (_, i) => crops[i % crops.length]!);
}

export async function measureEmbedder(
  ctx: BenchContext,
  opts: EmbedderRunOptions,
): Promise<{ readonly loadSeconds: number; readonly results: EmbedderResult[] }> {
  const loading = performance.now();
  const embedder = await OnnxEmbedder.create(opts.path, { intraOpThreads: 1, allowSpinning: false, logger: ctx.logger });
  const loadSeconds = (performance.now() - loading) / 1000;
  try {
    const crops = await alignedCrops(ctx, Math.max(...opts.batches));
    const fileMiB = statSync(opts.path).size / 2 ** 20;
    const results: EmbedderResult[] = [];
    for (const batch of opts.batches) {
      ctx.progress(`  ${opts.label}: batch ${batch}`);
      const faces = crops.slice(0, batch);
      const durations = await repeat(() => embedder.embed(faces), {
        warmup: 1,
        minRuns: opts.minRuns,
        maxRuns: 500,
        budgetMs: opts.budgetMs,
      });
      const msPerBatch = summarise(durations);
      results.push({
        label: opts.label,
        modelId: embedder.modelId,
        parameters: opts.parameters,
        fileMiB,
        maxBatch: embedder.sidecar.maxBatch,
        batch,
        sequential: embedder.sidecar.maxBatch !== null && embedder.sidecar.maxBatch < batch,
        msPerBatch,
        msPerFace: msPerBatch.median / batch,
        facesPerSecond: (1000 * batch) / msPerBatch.median,
      });
    }
    return { loadSeconds, results };
  } finally {
    await embedder.close();
  }
}
