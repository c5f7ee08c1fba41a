// BlazeFace "back" (256x256) face detector: letterbox -> onnxruntime -> anchor decoding ->
// MediaPipe-style weighted NMS -> source-image pixels.
import * as ort from 'onnxruntime-node';
import type { Logger } from 'pino';
import sharp from 'sharp';
import { type Anchor, BLAZEFACE_BACK_256_ANCHORS, generateAnchors } from './blazeface-anchors.js';
import {
  createSession,
  type ExecutionProviderName,
  type LoadedSession,
  ModelLoadError,
  SerialQueue,
} from './execution-providers.js';
import { intersectionArea, iou } from './geometry.js';
import { assertRgbImage } from './image.js';
import type { Box, FaceDetection, FaceKeypoints, Point, RgbImage } from './types.js';

export { generateAnchors, type Anchor } from './blazeface-anchors.js';
export { intersectionArea, iou } from './geometry.js';

const INPUT_SIZE = BLAZEFACE_BACK_256_ANCHORS.inputSize;
const NUM_KEYPOINTS = 6;
/** Per anchor: box cx, cy, w, h, then x, y of each keypoint. */
const NUM_COORDS = 4 + 2 * NUM_KEYPOINTS;
/** MediaPipe clips logits before the sigmoid (score_clipping_thresh). */
const LOGIT_CLIP = 100;

export const DEFAULT_SCORE_THRESHOLD = 0.6;
export const DEFAULT_NMS_IOU_THRESHOLD = 0.3;
/** Padding, as a fraction of the longer image side on each side, of the re-detect pass. */
export const DEFAULT_REDETECT_PADDING = 0.5;
/**
 * A face whose box spans at least this fraction of the image's longer side is re-detected with
 * padding. On 250x250 LFW images (faces about 0.44 of the side) both passes agree; at 0.7 and
 * above the plain pass degrades.
 */
export const LARGE_FACE_FRACTION = 0.4;
/**
 * A face whose box comes within this fraction of the image's longer side of an edge (or crosses
 * it) is re-detected with padding: the letterbox cut it, so the plain pass guessed its extent and
 * keypoints (tight crops, someone leaning into the camera).
 */
export const BORDER_MARGIN_FRACTION = 0.02;
/**
 * Paddings tried, in order, when neither the plain nor the DEFAULT_REDETECT_PADDING pass finds a
 * face: a smaller padding gives a face that nearly fills the frame back some resolution, a larger
 * one shrinks a face that still fills the padded input (masked faces, whose lower half BlazeFace
 * hardly recognises, are found at one scale and missed at the next). On the masked development
 * set (docs/detection-alignment.md) each of these found faces that no other scale found.
 */
export const FALLBACK_PADDINGS: readonly number[] = [0.25, 1, 0.1, 0.75];
/**
 * When no pass finds a face at the detector's threshold, the best detection over the fallback
 * passes is still returned if it scores at least this. A photo handed to enrolment or a field tool
 * is a face photo: the face is there, masked or cut by a tight crop, and every one of the 37 masked
 * development photos that no pass found at 0.6 had its face at 0.43 or more. The quality gate's
 * detector-score rule decides what such a face is good for.
 */
export const LAST_RESORT_SCORE = 0.4;

export interface DetectorOptions {
  readonly modelPath: string;
  readonly executionProviders?: readonly ExecutionProviderName[];
  readonly intraOpThreads?: number;
  readonly allowSpinning?: boolean;
  /** Minimum sigmoid score of a raw anchor detection (default 0.6). */
  readonly scoreThreshold?: number;
  /** IoU above which detections are blended into one (default 0.3). */
  readonly nmsIouThreshold?: number;
  readonly logger?: Logger;
}

export interface DecodeOptions {
  readonly inputSize: number;
  readonly scoreThreshold: number;
}

export function sigmoid(logit: number): number {
  const x = Math.min(LOGIT_CLIP, Math.max(-LOGIT_CLIP, logit));
  return 1 / (1 + Math.exp(-x));
}

/**
 * Turns raw model outputs into detections in model-input pixels (0..inputSize).
 * `scores` holds one logit per anchor, `regressors` NUM_COORDS values per anchor: offsets in
 * input pixels from the anchor centre (box centre, keypoints) and the box size.
 */
export function decodeDetections(
  scores: ArrayLike<number>,
  regressors: ArrayLike<number>,
  anchors: readonly Anchor[],
  opts: DecodeOptions,
): FaceDetection[] {
  if (scores.length !== anchors.length || regressors.length !== anchors.length * NUM_COORDS) {
    throw new RangeError(
      `Expected ${anchors.length} scores and ${anchors.length * NUM_COORDS} regressors, got ${scores.length} and ${regressors.length}`,
    );
  }
  const size = opts.inputSize;
  // Comparing logits avoids a sigmoid for each of the ~900 anchors, nearly all of them background.
  const minLogit = Math.log(opts.scoreThreshold / (1 - opts.scoreThreshold));
  const detections: FaceDetection[] = [];
  for (let i = 0; i < anchors.length; i++) {
    const logit = scores[i]!;
    if (!(logit >= minLogit)) continue;
    const anchor = anchors[i]!;
    const ax = anchor.x * size;
    const ay = anchor.y * size;
    const o = i * NUM_COORDS;
    const cx = ax + regressors[o]!;
    const cy = ay + regressors[o + 1]!;
    const w = regressors[o + 2]!;
    const h = regressors[o + 3]!;
    const keypoints: Point[] = [];
    for (let k = 0; k < NUM_KEYPOINTS; k++) {
      keypoints.push({ x: ax + regressors[o + 4 + 2 * k]!, y: ay + regressors[o + 5 + 2 * k]! });
    }
    detections.push({
      box: { x: cx - w / 2, y: cy - h / 2, width: w, height: h },
      score: sigmoid(logit),
      keypoints: keypoints as unknown as FaceKeypoints,
    });
  }
  return detections;
}

/**
 * MediaPipe's WEIGHTED non-maximum suppression: the best remaining detection absorbs every
 * detection overlapping it by more than `iouThreshold`; box and keypoints become the
 * score-weighted mean of the group, the score stays the best one's. Output sorted by score.
 */
export function weightedNms(detections: readonly FaceDetection[], iouThreshold: number): FaceDetection[] {
  let remaining = [...detections].sort((a, b) => b.score - a.score);
  const out: FaceDetection[] = [];
  while (remaining.length > 0) {
    const best = remaining[0]!;
    const group: FaceDetection[] = [];
    const rest: FaceDetection[] = [];
    for (const d of remaining) (iou(best.box, d.box) > iouThreshold || d === best ? group : rest).push(d);
    out.push(group.length === 1 ? best : blend(group, best.score));
    remaining = rest;
  }
  return out;
}

function blend(group: readonly FaceDetection[], score: number): FaceDetection {
  let total = 0;
  let x0 = 0;
  let y0 = 0;
  let x1 = 0;
  let y1 = 0;
  const kx = new Array<number>(NUM_KEYPOINTS).fill(0);
  const ky = new Array<number>(NUM_KEYPOINTS).fill(0);
  for (const d of group) {
    const w = d.score;
    total += w;
    x0 += w * d.box.x;
    y0 += w * d.box.y;
    x1 += w * (d.box.x + d.box.width);
    y1 += w * (d.box.y + d.box.height);
    for (let k = 0; k < NUM_KEYPOINTS; k++) {
      kx[k]! += w * d.keypoints[k]!.x;
      ky[k]! += w * d.keypoints[k]!.y;
    }
  }
  const keypoints = kx.map((x, k) => ({ x: x / total, y: ky[k]! / total }));
  return {
    box: { x: x0 / total, y: y0 / total, width: (x1 - x0) / total, height: (y1 - y0) / total },
    score,
    keypoints: keypoints as unknown as FaceKeypoints,
  };
}

/** Where the source image sits inside the square model input. */
export interface Letterbox {
  /** Model-input pixels per source pixel, per axis (they differ by rounding only). */
  readonly scaleX: number;
  readonly scaleY: number;
  /** Top-left of the resized image inside the model input, in model-input pixels. */
  readonly offsetX: number;
  readonly offsetY: number;
  readonly resizedWidth: number;
  readonly resizedHeight: number;
}

/**
 * Fits `width x height` into `size x size` keeping the aspect ratio, centred. `padding` shrinks
 * the image further as if it had been padded by that fraction of its longer side on each side.
 */
export function computeLetterbox(width: number, height: number, size: number, padding = 0): Letterbox {
  const scale = size / (Math.max(width, height) * (1 + 2 * padding));
  const resizedWidth = Math.max(1, Math.min(size, Math.round(width * scale)));
  const resizedHeight = Math.max(1, Math.min(size, Math.round(height * scale)));
  return {
    scaleX: resizedWidth / width,
    scaleY: resizedHeight / height,
    offsetX: Math.floor((size - resizedWidth) / 2),
    offsetY: Math.floor((size - resizedHeight) / 2),
    resizedWidth,
    resizedHeight,
  };
}

/** Maps a detection from model-input pixels back to source-image pixels. */
export function unletterbox(d: FaceDetection, lb: Letterbox): FaceDetection {
  const px = (x: number): number => (x - lb.offsetX) / lb.scaleX;
  const py = (y: number): number => (y - lb.offsetY) / lb.scaleY;
  return {
    box: { x: px(d.box.x), y: py(d.box.y), width: d.box.width / lb.scaleX, height: d.box.height / lb.scaleY },
    score: d.score,
    keypoints: d.keypoints.map((p) => ({ x: px(p.x), y: py(p.y) })) as unknown as FaceKeypoints,
  };
}

/** x / 127.5 - 1, the model's input scaling, for every byte value. */
const INPUT_LUT = Float32Array.from({ length: 256 }, (_, v) => v / 127.5 - 1);

export class BlazeFaceDetector {
  private readonly anchors = generateAnchors(BLAZEFACE_BACK_256_ANCHORS);
  private readonly input = new Float32Array(INPUT_SIZE * INPUT_SIZE * 3);
  private readonly inputTensor: ort.Tensor;
  private readonly scores = new Float32Array(this.anchors.length);
  private readonly regressors = new Float32Array(this.anchors.length * NUM_COORDS);
  private readonly queue = new SerialQueue();

  private constructor(
    private readonly loaded: LoadedSession,
    private readonly outputs: { readonly scores: readonly string[]; readonly regressors: readonly string[] },
    readonly scoreThreshold: number,
    readonly nmsIouThreshold: number,
  ) {
    this.inputTensor = new ort.Tensor('float32', this.input, [1, INPUT_SIZE, INPUT_SIZE, 3]);
  }

  static async create(opts: DetectorOptions): Promise<BlazeFaceDetector> {
    const scoreThreshold = opts.scoreThreshold ?? DEFAULT_SCORE_THRESHOLD;
    const nmsIouThreshold = opts.nmsIouThreshold ?? DEFAULT_NMS_IOU_THRESHOLD;
    if (!(scoreThreshold > 0 && scoreThreshold < 1)) throw new RangeError('scoreThreshold must be in (0, 1)');
    if (!(nmsIouThreshold > 0 && nmsIouThreshold < 1)) throw new RangeError('nmsIouThreshold must be in (0, 1)');
    const loaded = await createSession(opts.modelPath, opts);
    const outputs = identifyOutputs(loaded);
    return new BlazeFaceDetector(loaded, outputs, scoreThreshold, nmsIouThreshold);
  }

  get provider(): ExecutionProviderName {
    return this.loaded.provider;
  }

  /**
   * Faces in `image`, best score first, in source-image pixels (boxes may extend past the edges).
   * `padding` > 0 runs the model on the image as if padded with black by that fraction of its
   * longer side on each side (one pass; see detectWithPadding). `image.data` is read while the
   * promise is pending, so a capture source must not reuse the buffer until it resolves.
   */
  async detect(image: RgbImage, padding = 0): Promise<FaceDetection[]> {
    assertRgbImage(image);
    if (!(padding >= 0 && padding <= 2)) throw new RangeError('padding must be in [0, 2]');
    return this.queue.run(() => this.detectOnce(image, padding));
  }

  /**
   * Detection for photos where a face may fill the frame (enrolment photos, ID photos, tight
   * crops): BlazeFace misplaces keypoints, or misses the face, when it covers most of the model
   * input or is cut by the image edge. When the plain pass finds nothing, or finds a face that
   * spans at least LARGE_FACE_FRACTION of the longer image side or touches an edge
   * (BORDER_MARGIN_FRACTION), a second pass runs on the image padded by `padding` (fraction of the
   * longer side, each side), and its large or edge faces replace the overlapping plain ones.
   * Small faces well inside the image keep the plain pass's detection, which sees them at twice
   * the resolution. When neither pass finds a face, FALLBACK_PADDINGS are tried in turn and the
   * first that finds one wins; if none does, the best of their detections scoring at least
   * LAST_RESORT_SCORE is returned alone. See docs/detection-alignment.md for the measurements.
   */
  async detectWithPadding(image: RgbImage, padding = DEFAULT_REDETECT_PADDING): Promise<FaceDetection[]> {
    assertRgbImage(image);
    if (!(padding > 0 && padding <= 2)) throw new RangeError('padding must be in (0, 2]');
    return this.queue.run(async () => {
      const plain = await this.detectOnce(image, 0);
      const needsPadding = (d: FaceDetection): boolean => isLargeFace(d, image) || touchesBorder(d, image);
      if (plain.length > 0 && !plain.some(needsPadding)) return plain;
      const padded = await this.detectOnce(image, padding);
      if (plain.length > 0) return mergePasses(padded.filter(needsPadding), plain, this.nmsIouThreshold);
      if (padded.length > 0) return padded;
      const lastResort = Math.min(LAST_RESORT_SCORE, this.scoreThreshold);
      let best: FaceDetection | undefined;
      for (const fallback of FALLBACK_PADDINGS) {
        if (fallback === padding) continue;
        const found = await this.detectOnce(image, fallback, lastResort);
        const confident = found.filter((d) => d.score >= this.scoreThreshold);
        if (confident.length > 0) return confident;
        if (found[0] && (!best || found[0].score > best.score)) best = found[0];
      }
      return best ? [best] : [];
    });
  }

  async close(): Promise<void> {
    await this.queue.run(() => this.loaded.session.release());
  }

  private async detectOnce(image: RgbImage, padding: number, scoreThreshold = this.scoreThreshold): Promise<FaceDetection[]> {
    const lb = computeLetterbox(image.width, image.height, INPUT_SIZE, padding);
    await this.fillInput(image, lb);
    const result = await this.loaded.session.run({ [this.loaded.session.inputNames[0]!]: this.inputTensor });
    let offset = 0;
    for (let i = 0; i < this.outputs.scores.length; i++) {
      const s = result[this.outputs.scores[i]!]!.data as Float32Array;
      const r = result[this.outputs.regressors[i]!]!.data as Float32Array;
      this.scores.set(s, offset);
      this.regressors.set(r, offset * NUM_COORDS);
      offset += s.length;
    }
    const raw = decodeDetections(this.scores, this.regressors, this.anchors, {
      inputSize: INPUT_SIZE,
      scoreThreshold,
    });
    return weightedNms(raw, this.nmsIouThreshold).map((d) => unletterbox(d, lb));
  }

  /** Resizes with sharp (antialiased) and writes the scaled pixels into the reused input tensor. */
  private async fillInput(image: RgbImage, lb: Letterbox): Promise<void> {
    const { resizedWidth: rw, resizedHeight: rh, offsetX, offsetY } = lb;
    const resized =
      rw === image.width && rh === image.height
        ? image.data
        : await sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } })
            .resize(rw, rh, { fit: 'fill' })
            .raw()
            .toBuffer();
    const input = this.input;
    input.fill(-1); // black padding, as MediaPipe's letterbox
    for (let y = 0; y < rh; y++) {
      let src = y * rw * 3;
      let dst = ((y + offsetY) * INPUT_SIZE + offsetX) * 3;
      const end = src + rw * 3;
      while (src < end) input[dst++] = INPUT_LUT[resized[src++]!]!;
    }
  }
}

/** The face box spans at least LARGE_FACE_FRACTION of the image's longer side. */
export function isLargeFace(d: FaceDetection, image: { readonly width: number; readonly height: number }): boolean {
  return Math.max(d.box.width, d.box.height) >= LARGE_FACE_FRACTION * Math.max(image.width, image.height);
}

/** The face box reaches within BORDER_MARGIN_FRACTION of the longer side of an image edge, or past it. */
export function touchesBorder(d: FaceDetection, image: { readonly width: number; readonly height: number }): boolean {
  const margin = BORDER_MARGIN_FRACTION * Math.max(image.width, image.height);
  const { x, y, width, height } = d.box;
  return x < margin || y < margin || x + width > image.width - margin || y + height > image.height - margin;
}

/**
 * Union of two passes over the same image: a detection of the preferred pass replaces every
 * detection of the other pass that it overlaps by IoU > `iouThreshold`, or that lies mostly
 * inside it (a face that fills the frame can come out of the plain pass with a shrunken box).
 */
export function mergePasses(
  preferred: readonly FaceDetection[],
  other: readonly FaceDetection[],
  iouThreshold: number,
): FaceDetection[] {
  const sameFace = (a: Box, b: Box): boolean =>
    iou(a, b) > iouThreshold || intersectionArea(a, b) > 0.5 * Math.min(a.width * a.height, b.width * b.height);
  const kept = other.filter((o) => !preferred.some((p) => sameFace(p.box, o.box)));
  return [...preferred, ...kept].sort((a, b) => b.score - a.score);
}

/** Pairs the score outputs ([1,N,1]) with the regressor outputs ([1,N,16]) by anchor count. */
function identifyOutputs(loaded: LoadedSession): { scores: string[]; regressors: string[] } {
  const { session, modelPath } = loaded;
  const meta = session.outputMetadata as readonly { name: string; isTensor: boolean; shape?: readonly (number | string)[] }[];
  const scores: { name: string; n: number }[] = [];
  const regressors: { name: string; n: number }[] = [];
  for (const m of meta) {
    const shape = m.isTensor ? m.shape : undefined;
    const last = shape?.[shape.length - 1];
    const n = shape?.[1];
    if (shape?.length !== 3 || typeof n !== 'number') continue;
    if (last === 1) scores.push({ name: m.name, n });
    else if (last === NUM_COORDS) regressors.push({ name: m.name, n });
  }
  const expected = generateAnchors(BLAZEFACE_BACK_256_ANCHORS).length;
  const total = scores.reduce((s, o) => s + o.n, 0);
  // Outputs are listed in anchor order (stride 16 first); keep that order for both kinds.
  const ok =
    scores.length > 0 &&
    scores.length === regressors.length &&
    total === expected &&
    scores.every((s, i) => s.n === regressors[i]!.n) &&
    session.inputNames.length === 1;
  if (!ok) {
    throw new ModelLoadError(
      'model_invalid',
      `${modelPath} does not look like BlazeFace back-256: expected score outputs [1,N,1] and regressor outputs [1,N,16] over ${expected} anchors`,
      modelPath,
    );
  }
  return { scores: scores.map((s) => s.name), regressors: regressors.map((r) => r.name) };
}
