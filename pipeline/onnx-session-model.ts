// One ONNX model over image crops, as the embedder, the PAD scorer and the mask classifier run
// theirs: a session opened on the configured execution providers, inputs written as the model's
// sidecar describes them, batches of at most `maxBatch`, and one run at a time (a session is not
// re-entrant, and a queue keeps the cameras' frames in order). Each caller reads its own meaning
// into the output rows.
import * as ort from 'onnxruntime-node';
import { createSession, type LoadedSession, ModelLoadError, SerialQueue, type SessionOptions } from './execution-providers.js';
import type { RgbImage } from './types.js';

/** How a model takes its input crop, as its sidecar says. */
export interface ModelInputSpec {
  readonly layout: 'NCHW' | 'NHWC';
  readonly channelOrder: 'RGB' | 'BGR';
  /** Per channel, in the model's channel order: x' = (x - mean) / std on 0..255 values. */
  readonly mean: readonly [number, number, number];
  readonly std: readonly [number, number, number];
}

/** What running a model needs from its sidecar. */
export interface ImageModelSpec extends ModelInputSpec {
  readonly modelId: string;
  readonly inputName: string;
  readonly outputName: string;
  /** [width, height] of the crop the model takes. */
  readonly inputSize: readonly [number, number];
  /** Largest batch per run; null or absent when the batch dimension is dynamic. */
  readonly maxBatch?: number | null;
}

/**
 * Writes one face into `out` at `offset` as the sidecar describes: channel order, layout and
 * (x - mean) / std per model channel. `out` must have room for width*height*3 values.
 */
export function writeModelInput(
  face: RgbImage,
  spec: ModelInputSpec,
  out: Float32Array,
  offset: number,
): void {
  const src = face.data;
  const pixels = face.width * face.height;
  if (offset < 0 || offset + pixels * 3 > out.length) throw new RangeError('writeModelInput: output buffer too small');
  const nchw = spec.layout === 'NCHW';
  for (let c = 0; c < 3; c++) {
    const from = spec.channelOrder === 'RGB' ? c : 2 - c; // RGB byte feeding model channel c
    const scale = 1 / spec.std[c]!;
    const bias = -spec.mean[c]! / spec.std[c]!;
    if (nchw) {
      let dst = offset + c * pixels;
      for (let p = 0, s = from; p < pixels; p++, s += 3) out[dst++] = src[s]! * scale + bias;
    } else {
      for (let p = 0, s = from, dst = offset + c; p < pixels; p++, s += 3, dst += 3) out[dst] = src[s]! * scale + bias;
    }
  }
}


/** A model whose sidecar names a tensor it does not have cannot run at all: said at load time. */
export function checkTensorNames(loaded: LoadedSession, spec: ImageModelSpec): void {
  const { session, modelPath } = loaded;
  const fail = (why: string): never => {
    throw new ModelLoadError('sidecar_invalid', `Sidecar of ${modelPath} does not match the model: ${why}`, modelPath);
  };
  if (!session.inputNames.includes(spec.inputName)) fail(`model has no input "${spec.inputName}" (inputs: ${session.inputNames.join(', ')})`);
  if (!session.outputNames.includes(spec.outputName)) fail(`model has no output "${spec.outputName}" (outputs: ${session.outputNames.join(', ')})`);
}

export class OnnxSessionModel {
  private readonly queue = new SerialQueue();
  /** Input buffer, grown to the largest batch seen and reused. */
  private input = new Float32Array(0);

  private constructor(
    private readonly loaded: LoadedSession,
    readonly spec: ImageModelSpec,
    /** Names the model in errors ("Embedder", "PAD model", "Mask classifier"). */
    private readonly what: string,
  ) {}

  /**
   * Opens `modelPath`; `check` refuses a model that does not fit its sidecar (default: the tensor
   * names), releasing the session first.
   */
  static async open(
    modelPath: string,
    spec: ImageModelSpec,
    what: string,
    sessionOpts: SessionOptions = {},
    check: (loaded: LoadedSession) => void = (loaded) => checkTensorNames(loaded, spec),
  ): Promise<OnnxSessionModel> {
    const loaded = await createSession(modelPath, sessionOpts);
    try {
      check(loaded);
    } catch (err) {
      await loaded.session.release();
      throw err;
    }
    return new OnnxSessionModel(loaded, spec, what);
  }

  get provider(): string {
    return this.loaded.provider;
  }

  /** `width` output values per image, in order. Images must be the sidecar's input size. */
  async run(images: readonly RgbImage[], width: number): Promise<Float32Array[]> {
    if (images.length === 0) return [];
    return this.queue.run(async () => {
      const batch = this.spec.maxBatch ?? images.length;
      const rows: Float32Array[] = [];
      for (let start = 0; start < images.length; start += batch) rows.push(...(await this.runBatch(images.slice(start, start + batch), width)));
      return rows;
    });
  }

  async close(): Promise<void> {
    await this.queue.run(() => this.loaded.session.release());
  }

  private async runBatch(images: readonly RgbImage[], width: number): Promise<Float32Array[]> {
    const n = images.length;
    const [w, h] = this.spec.inputSize;
    const perImage = w * h * 3;
    if (this.input.length < n * perImage) this.input = new Float32Array(n * perImage);
    images.forEach((image, i) => writeModelInput(image, this.spec, this.input, i * perImage));
    const dims = this.spec.layout === 'NCHW' ? [n, 3, h, w] : [n, h, w, 3];
    const result = await this.loaded.session.run({ [this.spec.inputName]: new ort.Tensor('float32', this.input.subarray(0, n * perImage), dims) });
    const data = result[this.spec.outputName]?.data;
    if (!(data instanceof Float32Array) || data.length !== n * width) {
      throw new Error(
        `${this.what} ${this.spec.modelId} returned ${data instanceof Float32Array ? data.length : typeof data} values for ${n} inputs of ${width} outputs each`,
      );
    }
    return images.map((_, i) => data.slice(i * width, (i + 1) * width));
  }
}
