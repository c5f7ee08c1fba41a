// Photos and video files -> fused presentation-attack scores, for the offline field tools
// (`maskgate pad`, `eval-pad`, `calibrate --pad`), with the appliance's own detector and PAD model.
// One face per frame: the largest. A video's frames are scored one by one and fused as a track's
// would be. Failures come back as results with stable codes; nothing here throws for bad input.
import { extname } from 'node:path';
import { fusePadScores } from '../access/pad-fusion.js';
import type { FaceDetector } from '../pipeline/face-analyzer.js';
import { ImageDecodeError, readImageFile, type ImageDecodeErrorCode } from '../pipeline/image.js';
import type { PadScorer } from '../pipeline/pad-model.js';
import type { RgbImage } from '../pipeline/types.js';
import { largest } from './photo-embedder.js';

export type PadErrorCode = ImageDecodeErrorCode | 'no_face' | 'video_unreadable' | 'pad_failed';

export type PadOutcome =
  | { readonly ok: true; readonly score: number; readonly frames: number }
  | { readonly ok: false; readonly error: PadErrorCode; readonly message: string };

/** Decodes the first frames of a video file (`readVideoFrames` in production). */
export type VideoFrameReader = (path: string, maxFrames: number) => Promise<RgbImage[]>;

export const VIDEO_EXTENSIONS = new Set(['.mp4', '.mkv', '.avi', '.mov', '.webm', '.y4m']);

/** Frames of a video scored at most; a door track is decided on a handful. */
export const MAX_VIDEO_FRAMES = 30;

const fail = (error: PadErrorCode, message: string): PadOutcome => ({ ok: false, error, message });

export class PhotoPad {
  constructor(
    private readonly detector: FaceDetector,
    private readonly scorer: PadScorer,
    private readonly readVideo: VideoFrameReader,
  ) {}

  get modelId(): string {
    return this.scorer.modelId;
  }

  async score(path: string): Promise<PadOutcome> {
    const isVideo = VIDEO_EXTENSIONS.has(extname(path).toLowerCase());
    let frames: RgbImage[];
    try {
      frames = isVideo ? await this.readVideo(path, MAX_VIDEO_FRAMES) : [await readImageFile(path)];
    } catch (err) {
      if (err instanceof ImageDecodeError) return fail(err.code, err.message);
      return fail(isVideo ? 'video_unreadable' : 'image_unreadable', (err as Error).message);
    }
    try {
      const scores: number[] = [];
      for (const image of frames) {
        // Photos may be tight crops: the padded re-detect finds faces that fill the frame.
        const face = largest(isVideo ? await this.detector.detect(image) : await this.detector.detectWithPadding(image));
        if (face) scores.push(...(await this.scorer.score([{ image, box: face.box }])));
      }
      const fused = fusePadScores(scores);
      if (fused === null) return fail('no_face', isVideo ? `No face was found in any of ${frames.length} frames` : 'No face was found in the image');
      return { ok: true, score: fused, frames: scores.length };
    } catch (err) {
      return fail('pad_failed', `PAD failed: ${(err as Error).message}`);
    }
  }
}
