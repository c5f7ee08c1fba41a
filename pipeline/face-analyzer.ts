// The one detect -> align -> quality -> embed service shared by the camera loop and enrolment.
import { alignFace } from './align.js';
import type { Embedder } from './embedder.js';
import { gateQuality, type QualityProfileName, type QualityProfiles } from './quality.js';
import type { AlignedFace, FaceDetection, QualityReport, RgbImage } from './types.js';

/** What the analyzer needs from a detector (BlazeFaceDetector satisfies it). */
export interface FaceDetector {
  detect(image: RgbImage): Promise<FaceDetection[]>;
  detectWithPadding(image: RgbImage): Promise<FaceDetection[]>;
}

export interface AnalyzedFace {
  readonly detection: FaceDetection;
  readonly quality: QualityReport;
  readonly aligned: AlignedFace;
  /** Unit-length embedding; null when the face failed the quality gate. */
  readonly embedding: Float32Array | null;
}

export interface AnalyzeOptions {
  /**
   * Also detect on a padded copy of the image (two detector runs). Use it for enrolment photos
   * and tight crops, where the face fills the frame; camera frames do not need it.
   */
  readonly padded?: boolean;
  /**
   * Quality profile: 'door' (default; camera frames, strict, the next frame may be better) or
   * 'photo' (enrolment: refuse only unusable faces, report the door's objections as warnings).
   */
  readonly profile?: QualityProfileName;
  /** Keep at most this many faces, highest detector score first. */
  readonly maxFaces?: number;
  /** Told how long each stage took, in seconds (the daemon's metrics hook); stages with no face to work on are not reported. */
  readonly onStage?: (stage: AnalysisStage, seconds: number) => void;
}

export type AnalysisStage = 'detect' | 'align_quality' | 'embed';

export class FaceAnalyzer {
  constructor(
    private readonly detector: FaceDetector,
    private readonly embedder: Embedder,
    private readonly quality: QualityProfiles,
  ) {}

  get modelId(): string {
    return this.embedder.modelId;
  }

  get dimension(): number {
    return this.embedder.dimension;
  }

  /** Faces in `image`, best detector score first; those passing quality are embedded in one batch. */
  async analyze(image: RgbImage, opts: AnalyzeOptions = {}): Promise<AnalyzedFace[]> {
    const maxFaces = opts.maxFaces ?? Number.POSITIVE_INFINITY;
    if (!(maxFaces >= 0)) throw new RangeError('maxFaces must be >= 0');
    const onStage = opts.onStage;
    let started = performance.now();
    const lap = (stage: AnalysisStage) => {
      const now = performance.now();
      onStage?.(stage, (now - started) / 1000);
      started = now;
    };
    const detections = opts.padded ? await this.detector.detectWithPadding(image) : await this.detector.detect(image);
    lap('detect');
    const faces = detections.slice(0, maxFaces).map((detection) => {
      const aligned = alignFace(image, detection);
      // Whether the face is masked is not known here: each limit is the looser of the two.
      const quality = gateQuality(image, detection, this.quality[opts.profile ?? 'door'], null, aligned).report;
      return { detection, aligned, quality };
    });
    if (faces.length) lap('align_quality');
    const passing = faces.filter((f) => f.quality.ok);
    const embeddings = await this.embedder.embed(passing.map((f) => f.aligned));
    if (passing.length) lap('embed');
    const byFace = new Map(passing.map((f, i) => [f, embeddings[i]!]));
    return faces.map((f) => ({ ...f, embedding: byFace.get(f) ?? null }));
  }
}
