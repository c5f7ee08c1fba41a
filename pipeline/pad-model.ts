// Passive presentation-attack detection (PAD) on one face: a square-ish crop around the detector
// box, expanded so the model sees the face's surroundings (paper edges, bezels, fingers), is fed
// to an ONNX classifier whose preprocessing is described by a sidecar JSON, like the embedder's.
// The score is the model's probability that the face is an attack (0 = live, 1 = attack).
import { Ajv } from 'ajv';
import Type, { type Static } from 'typebox';
import { ModelLoadError, type SessionOptions } from './execution-providers.js';
import { OnnxSessionModel } from './onnx-session-model.js';
import { assertRgbImage } from './image.js';
import { readModelSidecar, SidecarInputFields, sidecarProblems } from './model-sidecar.js';
import type { Box, RgbImage } from './types.js';

export const PadSidecarSchema = Type.Object(
  {
    ...SidecarInputFields,
    inputSize: Type.Tuple([Type.Integer({ minimum: 8 }), Type.Integer({ minimum: 8 })], { title: '[width, height] of the model input' }),
    layout: Type.Union([Type.Literal('NCHW'), Type.Literal('NHWC')]),
    cropScale: Type.Number({ minimum: 1, maximum: 5, title: 'The crop is the detector box scaled by this about its centre (less where the image is too small)' }),
    classes: Type.Integer({ minimum: 2, maximum: 16, title: 'Width of the logit output' }),
    liveClass: Type.Integer({ minimum: 0, title: 'Index of the bona fide class; every other class is an attack' }),
    maxBatch: Type.Union([Type.Integer({ minimum: 1 }), Type.Null()]),
  },
  { additionalProperties: false },
);
export type PadSidecar = Static<typeof PadSidecarSchema>;

const validateSidecar = new Ajv({ allErrors: true, strict: false }).compile<PadSidecar>(PadSidecarSchema);

/** Why `json` is not a PAD sidecar (empty when it is one). */
export function padSidecarProblems(json: unknown): string[] {
  return sidecarProblems(validateSidecar, json);
}

export interface PadScorer {
  readonly modelId: string;
  /** One attack probability per (image, box) pair, in order. */
  score(faces: readonly { readonly image: RgbImage; readonly box: Box }[]): Promise<number[]>;
  close(): Promise<void>;
}

/**
 * The crop the model was trained on: the box scaled by `scale` about its centre, the scale
 * reduced until the crop fits in the image, then shifted inside it (as the model's own SDK does).
 */
export function padCropRect(box: Box, image: { width: number; height: number }, scale: number): Box {
  const s = Math.min((image.height - 1) / box.height, (image.width - 1) / box.width, scale);
  const width = box.width * s;
  const height = box.height * s;
  const cx = box.x + box.width / 2;
  const cy = box.y + box.height / 2;
  const x = Math.min(Math.max(cx - width / 2, 0), image.width - 1 - width);
  const y = Math.min(Math.max(cy - height / 2, 0), image.height - 1 - height);
  return { x: Math.max(0, x), y: Math.max(0, y), width, height };
}

/** Bilinear resampling of `rect` of `image` to `width` x `height` RGB. */
export function resampleRect(image: RgbImage, rect: Box, width: number, height: number): RgbImage {
  const out = new Uint8Array(width * height * 3);
  const sx = rect.width / width;
  const sy = rect.height / height;
  const maxX = image.width - 1;
  const maxY = image.height - 1;
  for (let j = 0; j < height; j++) {
    const fy = Math.min(Math.max(rect.y + (j + 0.5) * sy - 0.5, 0), maxY);
    const y0 = Math.floor(fy);
    const y1 = Math.min(y0 + 1, maxY);
    const wy = fy - y0;
    for (let i = 0; i < width; i++) {
      const fx = Math.min(Math.max(rect.x + (i + 0.5) * sx - 0.5, 0), maxX);
      const x0 = Math.floor(fx);
      const x1 = Math.min(x0 + 1, maxX);
      const wx = fx - x0;
      const a = (y0 * image.width + x0) * 3;
      const b = (y0 * image.width + x1) * 3;
      const c = (y1 * image.width + x0) * 3;
      const d = (y1 * image.width + x1) * 3;
      const o = (j * width + i) * 3;
      for (let k = 0; k < 3; k++) {
        const top = image.data[a + k]! * (1 - wx) + image.data[b + k]! * wx;
        const bottom = image.data[c + k]! * (1 - wx) + image.data[d + k]! * wx;
        out[o + k] = Math.round(top * (1 - wy) + bottom * wy);
      }
    }
  }
  return { width, height, data: out };
}

/** Softmax over one row of logits; returns 1 - p(live). */
export function attackProbability(logits: ArrayLike<number>, liveClass: number): number {
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < logits.length; i++) max = Math.max(max, logits[i]!);
  let sum = 0;
  let live = 0;
  for (let i = 0; i < logits.length; i++) {
    const e = Math.exp(logits[i]! - max);
    sum += e;
    if (i === liveClass) live = e;
  }
  return 1 - live / sum;
}

export async function readPadSidecar(modelPath: string): Promise<PadSidecar> {
  const sidecar = await readModelSidecar(modelPath, validateSidecar, 'PAD');
  if (sidecar.liveClass >= sidecar.classes) {
    throw new ModelLoadError('sidecar_invalid', `PAD sidecar of ${modelPath}: liveClass ${sidecar.liveClass} is not below classes ${sidecar.classes}`, modelPath);
  }
  return sidecar;
}

export class OnnxPadScorer implements PadScorer {
  private constructor(
    private readonly model: OnnxSessionModel,
    readonly sidecar: PadSidecar,
  ) {}

  static async create(modelPath: string, sessionOpts: SessionOptions = {}): Promise<OnnxPadScorer> {
    const sidecar = await readPadSidecar(modelPath);
    return new OnnxPadScorer(await OnnxSessionModel.open(modelPath, sidecar, 'PAD model', sessionOpts), sidecar);
  }

  get modelId(): string {
    return this.sidecar.modelId;
  }

  /** The model's input crop for one face (exported for tests and for dumping what the model sees). */
  crop(image: RgbImage, box: Box): RgbImage {
    assertRgbImage(image);
    const [w, h] = this.sidecar.inputSize;
    return resampleRect(image, padCropRect(box, image, this.sidecar.cropScale), w, h);
  }

  async score(faces: readonly { readonly image: RgbImage; readonly box: Box }[]): Promise<number[]> {
    const rows = await this.model.run(faces.map((f) => this.crop(f.image, f.box)), this.sidecar.classes);
    return rows.map((logits) => attackProbability(logits, this.sidecar.liveClass));
  }

  async close(): Promise<void> {
    await this.model.close();
  }
}
