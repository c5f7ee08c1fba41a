// Photos -> embeddings for the offline field tools (embed, eval, calibrate), with the
// appliance's own detector (padded re-detect, as for enrolment photos), alignment, quality gate
// and model. One face per photo: the largest. Optionally a synthetic mask is drawn on it first
// and the masked photo is detected again, as the door camera would see it. Every failure comes
// back as a result with a stable code; nothing here throws for a bad photo.
import { alignFace } from '../pipeline/align.js';
import { iou } from '../pipeline/detector.js';
import type { Embedder } from '../pipeline/embedder.js';
import type { FaceDetector } from '../pipeline/face-analyzer.js';
import { ImageDecodeError, readImageFile, type ImageDecodeErrorCode } from '../pipeline/image.js';
import { gateQuality, type QualityMeasures, type QualityProfile } from '../pipeline/quality.js';
import type { AlignedFace, FaceDetection, QualityRejection, RgbImage } from '../pipeline/types.js';
import { drawMask } from '../synthetic/synthetic-mask.js';

export type PhotoErrorCode = ImageDecodeErrorCode | 'no_face' | 'quality_rejected' | 'embedding_failed';

export interface PhotoJob {
  /** A file path, or an image already decoded. */
  readonly source: string | RgbImage;
  /** Fill colour of a synthetic mask drawn over nose and mouth before embedding; none when absent. */
  readonly maskColour?: string | null;
}

export type PhotoOutcome =
  | {
      readonly ok: true;
      readonly embedding: Float32Array;
      readonly facesFound: number;
      /** Checks the face failed without being refused (photo profile). */
      readonly warnings: readonly QualityRejection[];
      readonly measures: QualityMeasures;
    }
  | {
      readonly ok: false;
      readonly error: PhotoErrorCode;
      readonly message: string;
      readonly reasons?: readonly QualityRejection[];
      /** The refused face's quality measures (quality_rejected only). */
      readonly measures?: QualityMeasures;
    };

export interface PhotoEmbedderParts {
  readonly detector: FaceDetector;
  readonly embedder: Embedder;
  /** Normally the photo profile: refuse only unusable faces, warn about the rest. */
  readonly quality: QualityProfile;
}

/** The masked face must be re-detected where the unmasked one was. */
const MASKED_REDETECT_MIN_IOU = 0.3;

type Prepared =
  | { readonly aligned: AlignedFace; readonly facesFound: number; readonly warnings: readonly QualityRejection[]; readonly measures: QualityMeasures }
  | Extract<PhotoOutcome, { ok: false }>;

const fail = (error: PhotoErrorCode, message: string): Extract<PhotoOutcome, { ok: false }> => ({ ok: false, error, message });

/** The detection with the largest box: the face a one-face tool works on. */
export function largest(detections: readonly FaceDetection[]): FaceDetection | undefined {
  let best: FaceDetection | undefined;
  for (const d of detections) if (!best || d.box.width * d.box.height > best.box.width * best.box.height) best = d;
  return best;
}

export class PhotoEmbedder {
  constructor(
    private readonly parts: PhotoEmbedderParts,
    private readonly opts: { readonly maxPixels?: number } = {},
  ) {}

  get modelId(): string {
    return this.parts.embedder.modelId;
  }

  /**
   * One batch: photos are decoded, detected and masked concurrently (sharp works on its own
   * threads; the detector queues its runs), then every usable face goes to the embedder in one
   * call. Results are in job order.
   */
  async embed(jobs: readonly PhotoJob[]): Promise<PhotoOutcome[]> {
    const prepared = await Promise.all(jobs.map((job) => this.prepare(job)));
    const faces = prepared.filter((p): p is Extract<Prepared, { aligned: AlignedFace }> => 'aligned' in p);
    const embeddings = await this.embedFaces(faces.map((f) => f.aligned));
    const byFace = new Map(faces.map((f, k) => [f, embeddings[k]!]));
    return prepared.map((p): PhotoOutcome => {
      if (!('aligned' in p)) return p;
      const embedding = byFace.get(p)!;
      return embedding instanceof Float32Array
        ? { ok: true, embedding, facesFound: p.facesFound, warnings: p.warnings, measures: p.measures }
        : fail('embedding_failed', `The model failed on this face: ${embedding.message}`);
    });
  }

  /** Runs `embed` over consecutive batches of `batchSize` jobs. */
  async embedAll(
    jobs: readonly PhotoJob[],
    batchSize: number,
    onProgress?: (done: number, total: number) => void,
  ): Promise<PhotoOutcome[]> {
    const out: PhotoOutcome[] = [];
    for (let start = 0; start < jobs.length; start += batchSize) {
      out.push(...(await this.embed(jobs.slice(start, start + batchSize))));
      onProgress?.(out.length, jobs.length);
    }
    return out;
  }

  /** A failed batch is retried face by face so that one bad input cannot fail the others. */
  private async embedFaces(faces: readonly AlignedFace[]): Promise<(Float32Array | Error)[]> {
    try {
      return await this.parts.embedder.embed(faces);
    } catch {
      const out: (Float32Array | Error)[] = [];
      for (const face of faces) {
        try {
          out.push((await this.parts.embedder.embed([face]))[0]!);
        } catch (err) {
          out.push(err instanceof Error ? err : new Error(String(err)));
        }
      }
      return out;
    }
  }

  private async prepare(job: PhotoJob): Promise<Prepared> {
    let image: RgbImage;
    try {
      image = typeof job.source === 'string' ? await readImageFile(job.source, this.opts) : job.source;
    } catch (err) {
      if (err instanceof ImageDecodeError) return fail(err.code, err.message);
      return fail('image_unreadable', (err as Error).message);
    }
    try {
      const detections = await this.parts.detector.detectWithPadding(image);
      let face = largest(detections);
      if (!face) return fail('no_face', 'No face was found in the photo');
      if (job.maskColour) {
        image = await drawMask(image, face.keypoints, job.maskColour);
        const original = face.box;
        const again = (await this.parts.detector.detectWithPadding(image))
          .map((d) => ({ d, overlap: iou(d.box, original) }))
          .sort((a, b) => b.overlap - a.overlap)[0];
        if (!again || again.overlap < MASKED_REDETECT_MIN_IOU) {
          return fail('no_face', 'No face was found once the synthetic mask was drawn on the photo');
        }
        face = again.d;
      }
      const aligned = alignFace(image, face);
      // A mask the tool drew is known; on a photo as given it is not.
      const { report, measures } = gateQuality(image, face, this.parts.quality, job.maskColour ? true : null, aligned);
      if (!report.ok) {
        const message = `The face is not usable: ${report.reasons.join(', ')}`;
        return { ok: false, error: 'quality_rejected', message, reasons: report.reasons, measures };
      }
      return { aligned, facesFound: detections.length, warnings: report.warnings ?? [], measures };
    } catch (err) {
      return fail('embedding_failed', `Face analysis failed: ${(err as Error).message}`);
    }
  }
}

