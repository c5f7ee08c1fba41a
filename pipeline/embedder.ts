// Face embedder: aligned crops -> L2-normalised embeddings, driven by a sidecar JSON that
// describes the model's preprocessing so that a new model needs no code change.
import { readFile } from 'node:fs/promises';
import { checkModelFile, type LoadedSession, ModelLoadError, type SessionOptions } from './execution-providers.js';
import { checkTensorNames, OnnxSessionModel } from './onnx-session-model.js';
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
  private readonly width: number;
  private readonly height: number;

  private constructor(
    private readonly model: OnnxSessionModel,
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
    const model = await OnnxSessionModel.open(modelPath, sidecar, 'Embedder', sessionOpts, (loaded) => checkModelAgainstSidecar(loaded, sidecar));
    return new OnnxEmbedder(model, sidecar);
  }

  get provider(): string {
    return this.model.provider;
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
    return (await this.model.run(faces, this.dimension)).map(l2Normalize);
  }

  async close(): Promise<void> {
    await this.model.close();
  }
}

function checkModelAgainstSidecar(loaded: LoadedSession, sidecar: EmbedderSidecar): void {
  const { session, modelPath } = loaded;
  const fail = (why: string): never => {
    throw new ModelLoadError('sidecar_invalid', `Sidecar of ${modelPath} does not match the model: ${why}`, modelPath);
  };
  checkTensorNames(loaded, sidecar);
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
