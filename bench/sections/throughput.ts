// Sustained throughput: frames analysed back to back (FaceAnalyzer.analyze, then a search per
// embedded face) for a fixed time, per ORT setting. Frames come from memory so that this is
// the pipeline's own capacity; ffmpeg's decode runs in another process and is measured apart.
import { GalleryMatcher } from '../../pipeline/matcher.js';
import type { RgbImage } from '../../pipeline/types.js';
import { openAnalyzer, type BenchContext } from '../context.js';
import type { ThroughputConfig } from '../plan.js';
import type { ThroughputResult } from '../report.js';
import { summarise } from '../stats.js';
import { randomGallery } from './gallery-data.js';
import { STAGE_GALLERY_TEMPLATES } from './stages.js';

const WARMUP_FRAMES = 3;

export async function measureThroughput(
  ctx: BenchContext,
  scenes: readonly { readonly facesPerFrame: number; readonly frames: readonly RgbImage[] }[],
  config: ThroughputConfig,
): Promise<ThroughputResult[]> {
  const parts = await openAnalyzer(ctx.plan, config, ctx.logger);
  try {
    const matcher = new GalleryMatcher({ modelId: parts.embedder.modelId, dimension: parts.embedder.dimension, initialCapacity: STAGE_GALLERY_TEMPLATES });
    randomGallery(matcher, STAGE_GALLERY_TEMPLATES, 1);
    const results: ThroughputResult[] = [];
    for (const scene of scenes) {
      const analyse = async (frame: RgbImage): Promise<number> => {
        const faces = await parts.analyzer.analyze(frame);
        let embedded = 0;
        for (const f of faces) {
          if (!f.embedding) continue;
          matcher.search(f.embedding, 5);
          embedded++;
        }
        return embedded;
      };
      for (let i = 0; i < WARMUP_FRAMES; i++) await analyse(scene.frames[i % scene.frames.length]!);
      const perFrame: number[] = [];
      let faces = 0;
      const started = performance.now();
      const until = started + ctx.plan.throughputSeconds * 1000;
      for (let i = 0; performance.now() < until; i++) {
        const t = performance.now();
        faces += await analyse(scene.frames[i % scene.frames.length]!);
        perFrame.push(performance.now() - t);
      }
      const seconds = (performance.now() - started) / 1000;
      results.push({
        facesPerFrame: scene.facesPerFrame,
        intraOpThreads: config.intraOpThreads,
        allowSpinning: config.allowSpinning,
        frames: perFrame.length,
        seconds,
        framesPerSecond: perFrame.length / seconds,
        facesPerSecond: faces / seconds,
        msPerFrame: summarise(perFrame),
      });
    }
    return results;
  } finally {
    await parts.close();
  }
}
