// Face embedder: aligned crops -> L2-normalised embeddings, driven by a sidecar JSON that
// describes the model's preprocessing so that a new model needs no code change.
import { readFile } from 'node:fs/promises';
import * as ort from 'onnxruntime-node';
import { checkModelFile, createSession, type LoadedSession, ModelLoadError, SerialQueue, type SessionOptions } from './execution-providers.js';
import { assertRgbImage } from './image.js';
import type { RgbImage } from './types.js';
import { l2Normalize } from './vector.js';
import { CodedError } from './coded-error.js';

export interface Embedder {
  /** Identifies the model (and so the embedding space) templates were made with. */
  readonly modelId: string;
  readonly dimension: number;
  /** One unit-length embedding per face, in order. */
  embed(faces: readonly RgbImage[]): Promise<Float32Array[]>;
  close(): Promise<void>;
}

/** Contents of `<model>.json` beside `<model>.onnx`. */
export interface EmbedderSidecar {
  readonly modelId: string;
  readonly inputName: string;
  readonly outputName: string;
  /** [width, height] of the crop the model takes. */
  readonly inputSize: readonly [number, number];
  readonly layout: 'NCHW' | 'NHWC';
  readonly channelOrder: 'RGB' | 'BGR';
  /** Per channel, in the model's channel order: x' = (x - mean) / std on 0..255 values. */
  readonly mean: readonly [number, number, number];
  readonly std: readonly [number, number, number];
  readonly embeddingSize: number;
  /** Largest batch per run; null when the batch dimension is dynamic. */
  readonly maxBatch: number | null;
  /** Whether the model's output is already unit length (it is re-normalised regardless). */
  readonly normalized: boolean;
  readonly licence: string;
  readonly source: string;
}

export class EmbedderInputError extends CodedError<'face_size_mismatch'> {
  constructor(message: string) {
    super('face_size_mismatch', message);
  }
}

export function sidecarPathFor(modelPath: string): string {
  return modelPath.replace(/\.onnx$/i, '') + '.json';
}

export async function readSidecar(modelPath: string): Promise<EmbedderSidecar> {
  const path = sidecarPathFor(modelPath);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ModelLoadError(
      code === 'ENOENT' ? 'sidecar_missing' : 'sidecar_invalid',
      `Embedder sidecar ${path} ${code === 'ENOENT' ? 'not found' : `unreadable (${code ?? 'error'})`}: every embedding model needs a JSON file describing its preprocessing`,
      modelPath,
      { cause: err },
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new ModelLoadError('sidecar_invalid', `Embedder sidecar ${path} is not valid JSON`, modelPath, { cause: err });
  }
  const problems = validateSidecar(json);
  if (problems.length > 0) {
    throw new ModelLoadError('sidecar_invalid', `Embedder sidecar ${path} is invalid: ${problems.join('; ')}`, modelPath);
  }
  return json as EmbedderSidecar;
}

/** Returns the list of problems with `value` as a sidecar (empty when valid). */
export function validateSidecar(value: unknown): string[] {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return ['must be a JSON object'];
  const o = value as Record<string, unknown>;
  const problems: string[] = [];
  const str = (k: string): void => {
    if (typeof o[k] !== 'string' || o[k].length === 0) problems.push(`${k} must be a non-empty string`);
  };
  const posInt = (v: unknown): boolean => Number.isInteger(v) && (v as number) > 0;
  const triple = (k: string, positive: boolean): void => {
    const v = o[k];
    if (!Array.isArray(v) || v.length !== 3 || !v.every((x) => Number.isFinite(x) && (!positive || x > 0))) {
      problems.push(`${k} must be 3 ${positive ? 'positive ' : ''}numbers`);
    }
  };
  for (const k of ['modelId', 'inputName', 'outputName', 'licence', 'source']) str(k);
  const size = o['inputSize'];
  if (!Array.isArray(size) || size.length !== 2 || !size.every(posInt)) problems.push('inputSize must be [width, height]');
  if (o['layout'] !== 'NCHW' && o['layout'] !== 'NHWC') problems.push('layout must be "NCHW" or "NHWC"');
  if (o['channelOrder'] !== 'RGB' && o['channelOrder'] !== 'BGR') problems.push('channelOrder must be "RGB" or "BGR"');
  triple('mean', false);
  triple('std', true);
  if (!posInt(o['embeddingSize'])) problems.push('embeddingSize must be a positive integer');
  if (o['maxBatch'] !== null && !posInt(o['maxBatch'])) problems.push('maxBatch must be a positive integer or null');
  if (typeof o['normalized'] !== 'boolean') problems.push('normalized must be a boolean');
  const known = new Set([
    'modelId', 'inputName', 'outputName', 'inputSize', 'layout', 'channelOrder', 'mean', 'std',
    'embeddingSize', 'maxBatch', 'normalized', 'licence', 'source', 'provenance',
  ]);
  // provenance (teacher, training data, metrics…) is for people and tools; the daemon does not read it.
  const provenance = o['provenance'];
  if (provenance !== undefined && (typeof provenance !== 'object' || provenance === null || Array.isArray(provenance))) {
    problems.push('provenance must be an object');
  }
  for (const k of Object.keys(o)) if (!known.has(k)) problems.push(`unknown key ${k}`);
  return problems;
}

export class OnnxEmbedder implements Embedder {
  readonly modelId: string;
  readonly dimension: number;
  private readonly queue = new SerialQueue();
  private readonly width: number;
  private readonly height: number;
  /** Input buffer, grown to the largest batch seen and reused. */
  private input = new Float32Array(0);

  private constructor(
    private readonly loaded: LoadedSession,
    readonly sidecar: EmbedderSidecar,
  ) {
    this.modelId = sidecar.modelId;
    this.dimension = sidecar.embeddingSize;
    [this.width, this.height] = sidecar.inputSize;
  }

  /** Loads `modelPath` and its sidecar `<basename>.json`, checking that the two agree. */
  static async create(modelPath: string, sessionOpts: SessionOptions = {}): Promise<OnnxEmbedder> {
    // The model first: a missing model must be reported as such, not as its missing sidecar.
    await checkModelFile(modelPath);
    const sidecar = await readSidecar(modelPath);
    const loaded = await createSession(modelPath, sessionOpts);
    try {
      checkModelAgainstSidecar(loaded, sidecar);
    } catch (err) {
      await loaded.session.release();
      throw err;
    }
    return new OnnxEmbedder(loaded, sidecar);
  }

  get provider(): string {
    return this.loaded.provider;
  }

  async embed(faces: readonly RgbImage[]): Promise<Float32Array[]> {
    for (const f of faces) {
      assertRgbImage(f);
      if (f.width !== this.width || f.height !== this.height) {
        throw new EmbedderInputError(
          `Embedder ${this.modelId} takes ${this.width}x${this.height} crops, got ${f.width}x${f.height}`,
        );
      }
    }
    if (faces.length === 0) return [];
    return this.queue.run(async () => {
      const batch = this.sidecar.maxBatch ?? faces.length;
      const out: Float32Array[] = [];
      for (let start = 0; start < faces.length; start += batch) {
        out.push(...(await this.runBatch(faces.slice(start, start + batch))));
      }
      return out;
    });
  }

  async close(): Promise<void> {
    await this.queue.run(() => this.loaded.session.release());
  }

  private async runBatch(faces: readonly RgbImage[]): Promise<Float32Array[]> {
    const n = faces.length;
    const perFace = this.width * this.height * 3;
    if (this.input.length < n * perFace) this.input = new Float32Array(n * perFace);
    for (let i = 0; i < n; i++) writeModelInput(faces[i]!, this.sidecar, this.input, i * perFace);
    const dims =
      this.sidecar.layout === 'NCHW' ? [n, 3, this.height, this.width] : [n, this.height, this.width, 3];
    const tensor = new ort.Tensor('float32', this.input.subarray(0, n * perFace), dims);
    const result = await this.loaded.session.run({ [this.sidecar.inputName]: tensor });
    const output = result[this.sidecar.outputName];
    const data = output?.data;
    const d = this.dimension;
    if (!(data instanceof Float32Array) || data.length !== n * d) {
      throw new Error(
        `Embedder ${this.modelId} returned ${data instanceof Float32Array ? data.length : typeof data} values for ${n} faces of dimension ${d}`,
      );
    }
    const embeddings: Float32Array[] = [];
    for (let i = 0; i < n; i++) embeddings.push(l2Normalize(data.slice(i * d, (i + 1) * d)));
    return embeddings;
  }
}

/**
 * Writes one face into `out` at `offset` as the sidecar describes: channel order, layout and
 * (x - mean) / std per model channel. `out` must have room for width*height*3 values.
 */
export function writeModelInput(
  face: RgbImage,
  spec: Pick<EmbedderSidecar, 'layout' | 'channelOrder' | 'mean' | 'std'>,
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

function checkModelAgainstSidecar(loaded: LoadedSession, sidecar: EmbedderSidecar): void {
  const { session, modelPath } = loaded;
  const fail = (why: string): never => {
    throw new ModelLoadError('sidecar_invalid', `Sidecar of ${modelPath} does not match the model: ${why}`, modelPath);
  };
  if (!session.inputNames.includes(sidecar.inputName)) {
    fail(`model has no input "${sidecar.inputName}" (inputs: ${session.inputNames.join(', ')})`);
  }
  if (!session.outputNames.includes(sidecar.outputName)) {
    fail(`model has no output "${sidecar.outputName}" (outputs: ${session.outputNames.join(', ')})`);
  }
  const meta = (session.inputMetadata as readonly { name: string; isTensor: boolean; shape?: readonly (number | string)[] }[])
    .find((m) => m.name === sidecar.inputName);
  const shape = meta?.isTensor ? meta.shape : undefined;
  if (shape) {
    const [w, h] = sidecar.inputSize;
    const expected = sidecar.layout === 'NCHW' ? [3, h, w] : [h, w, 3];
    const batchDim = shape[0];
    if (shape.length !== 4 || !shape.slice(1).every((dim, i) => typeof dim !== 'number' || dim === expected[i])) {
      fail(`input shape [${shape.join(',')}] does not fit ${sidecar.layout} ${w}x${h}`);
    }
    // A fixed batch dimension would need partial batches padded; only a fixed batch of 1 is supported.
    if (typeof batchDim === 'number' && (batchDim !== 1 || sidecar.maxBatch !== 1)) {
      fail(`model has a fixed batch of ${batchDim}; the sidecar must say maxBatch 1 and the model must take batch 1`);
    }
  }
  const out = (session.outputMetadata as readonly { name: string; isTensor: boolean; shape?: readonly (number | string)[] }[])
    .find((m) => m.name === sidecar.outputName);
  const outShape = out?.isTensor ? out.shape : undefined;
  const last = outShape?.[outShape.length - 1];
  if (typeof last === 'number' && last !== sidecar.embeddingSize) {
    fail(`output width ${last} differs from embeddingSize ${sidecar.embeddingSize}`);
  }
}
