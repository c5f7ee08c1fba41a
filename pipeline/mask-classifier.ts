// Masked/unmasked classifier on the aligned 112x112 crop: the `masked` flag of every decision
// (a mask changes which threshold was calibrated for the probe, and is worth knowing in the audit).
// Preprocessing is described by a sidecar JSON beside the ONNX file, like the embedder's.
import { Ajv } from 'ajv';
import * as ort from 'onnxruntime-node';
import Type, { type Static } from 'typebox';
import { writeModelInput } from './embedder.js';
import { createSession, type LoadedSession, SerialQueue, type SessionOptions } from './execution-providers.js';
import { readModelSidecar, SidecarInputFields } from './model-sidecar.js';
import type { RgbImage } from './types.js';

export const MaskSidecarSchema = Type.Object(
  {
    ...SidecarInputFields,
    inputSize: Type.Tuple([Type.Literal(112), Type.Literal(112)], { title: 'The aligned crop, as the embedder takes it' }),
    layout: Type.Literal('NCHW'),
    maskedClass: Type.Union([Type.Literal(0), Type.Literal(1)], { title: 'Which of the two logits means masked' }),
  },
  { additionalProperties: false },
);
export type MaskSidecar = Static<typeof MaskSidecarSchema>;

const validate = new Ajv({ allErrors: true, strict: false }).compile<MaskSidecar>(MaskSidecarSchema);

export interface MaskClassifier {
  /** Whether each aligned 112x112 face wears a mask, in order. */
  classify(faces: readonly RgbImage[]): Promise<boolean[]>;
  close(): Promise<void>;
}

export class OnnxMaskClassifier implements MaskClassifier {
  private readonly queue = new SerialQueue();

  private constructor(
    private readonly loaded: LoadedSession,
    readonly sidecar: MaskSidecar,
  ) {}

  static async create(modelPath: string, sessionOpts: SessionOptions = {}): Promise<OnnxMaskClassifier> {
    const sidecar = await readModelSidecar(modelPath, validate, 'Mask classifier');
    const loaded = await createSession(modelPath, sessionOpts);
    return new OnnxMaskClassifier(loaded, sidecar);
  }

  async classify(faces: readonly RgbImage[]): Promise<boolean[]> {
    if (faces.length === 0) return [];
    for (const f of faces) {
      if (f.width !== 112 || f.height !== 112) throw new RangeError(`The mask classifier takes 112x112 aligned crops, got ${f.width}x${f.height}`);
    }
    return this.queue.run(async () => {
      const per = 112 * 112 * 3;
      const input = new Float32Array(faces.length * per);
      faces.forEach((f, i) => writeModelInput(f, this.sidecar, input, i * per));
      const out = await this.loaded.session.run({ [this.sidecar.inputName]: new ort.Tensor('float32', input, [faces.length, 3, 112, 112]) });
      const logits = out[this.sidecar.outputName]?.data;
      if (!(logits instanceof Float32Array) || logits.length !== faces.length * 2) {
        throw new Error(`Mask classifier ${this.sidecar.modelId} returned an output of unexpected size`);
      }
      const m = this.sidecar.maskedClass;
      return faces.map((_, i) => logits[i * 2 + m]! > logits[i * 2 + 1 - m]!);
    });
  }

  async close(): Promise<void> {
    await this.queue.run(() => this.loaded.session.release());
  }
}
