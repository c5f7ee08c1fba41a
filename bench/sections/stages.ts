// Per-stage latency of the analysis of one frame, in the order FaceAnalyzer.analyze runs the
// stages (detect, align + quality gate, embed the passing faces in one batch), followed by
// the 1:N search of every embedded face as the track decider would do it.
import { alignFace } from '../../pipeline/align.js';
import { GalleryMatcher } from '../../pipeline/matcher.js';
import { assessQuality } from '../../pipeline/quality.js';
import type { RgbImage } from '../../pipeline/types.js';
import type { BenchContext } from '../context.js';
import type { StageLatencies } from '../report.js';
import { percentileOfSorted, Samples, type Summary } from '../stats.js';
import { randomGallery } from './gallery-data.js';

/** A door-scale gallery for the matching stage. */
export const STAGE_GALLERY_TEMPLATES = 1_000;
const WARMUP_FRAMES = 3;

export async function measureStages(
  ctx: BenchContext,
  frames: readonly RgbImage[],
  facesPerFrame: number,
  captureDecode: Summary | null,
): Promise<StageLatencies> {
  const { detector, embedder, qualityLimits } = await ctx.analyzerParts();
  const matcher = new GalleryMatcher({ modelId: embedder.modelId, dimension: embedder.dimension, initialCapacity: STAGE_GALLERY_TEMPLATES });
  randomGallery(matcher, STAGE_GALLERY_TEMPLATES, 1);

  const detection = new Samples();
  const alignQuality = new Samples();
  const embedding = new Samples();
  const matching = new Samples();
  const analysis = new Samples();
  const detected: number[] = [];
  const embedded: number[] = [];
  const total = WARMUP_FRAMES + frames.length;
  for (let i = 0; i < total; i++) {
    const frame = frames[i % frames.length]!;
    const t0 = performance.now();
    const detections = await detector.detect(frame);
    const t1 = performance.now();
    const faces = detections.map((d) => {
      const aligned = alignFace(frame, d);
      return { aligned, quality: assessQuality(frame, d, qualityLimits, aligned) };
    });
    const t2 = performance.now();
    const embeddings = await embedder.embed(faces.filter((f) => f.quality.ok).map((f) => f.aligned));
    const t3 = performance.now();
    for (const e of embeddings) matcher.search(e, 5);
    const t4 = performance.now();
    if (i < WARMUP_FRAMES) continue;
    detection.add(t1 - t0);
    alignQuality.add(t2 - t1);
    embedding.add(t3 - t2);
    matching.add(t4 - t3);
    analysis.add(t4 - t0);
    detected.push(detections.length);
    embedded.push(embeddings.length);
  }
  const median = (v: number[]): number => percentileOfSorted([...v].sort((a, b) => a - b), 50);
  return {
    facesPerFrame,
    frames: frames.length,
    facesDetected: median(detected),
    facesEmbedded: median(embedded),
    captureDecode,
    detection: detection.summary(),
    alignQuality: alignQuality.summary(),
    embedding: embedding.summary(),
    matching: matching.summary(),
    analysis: analysis.summary(),
    matcherTemplates: STAGE_GALLERY_TEMPLATES,
  };
}
