// Embedder throughput at several batch sizes through the appliance's own OnnxEmbedder: the
// shipped model(s) and the G2D-sized reference. A model with a fixed batch of 1 runs a batch
// as sequential runs (that is what OnnxEmbedder does with maxBatch 1).
import { readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { alignFace } from '../../pipeline/align.js';
import { OnnxEmbedder, sidecarPathFor, type EmbedderSidecar } from '../../pipeline/embedder.js';
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

const SIDECAR_KEYS: readonly (keyof EmbedderSidecar)[] = [
  'modelId', 'inputName', 'outputName', 'inputSize', 'layout', 'channelOrder', 'mean', 'std',
  'embeddingSize', 'maxBatch', 'normalized', 'licence', 'source',
];

/**
 * A copy of a model whose sidecar carries keys the embedder does not know (e.g. a model card
 * inlined by the trainer): the model linked into `dir`, the sidecar cut to the embedder's keys.
 * Lets the benchmark time the model while the two sides agree on the sidecar format.
 */
export function trimmedSidecarCopy(modelPath: string, dir: string): string {
  const full = JSON.parse(readFileSync(sidecarPathFor(modelPath), 'utf8')) as Record<string, unknown>;
  const trimmed = Object.fromEntries(SIDECAR_KEYS.filter((k) => k in full).map((k) => [k, full[k]]));
  const linked = join(dir, basename(modelPath));
  symlinkSync(modelPath, linked);
  writeFileSync(sidecarPathFor(linked), JSON.stringify(trimmed));
  return linked;
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
  const embedder = await OnnxEmbedder.create(opts.path, {
    executionProviders: ctx.plan.executionProviders,
    intraOpThreads: 1,
    allowSpinning: false,
    logger: ctx.logger,
  });
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
        provider: embedder.provider,
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
