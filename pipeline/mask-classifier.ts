// Masked/unmasked classifier on the aligned 112x112 crop: the `masked` flag of every decision
// (a mask changes which threshold was calibrated for the probe, and is worth knowing in the audit).
// Preprocessing is described by a sidecar JSON beside the ONNX file, like the embedder's.
import { Ajv } from 'ajv';
import Type, { type Static } from 'typebox';
import type { SessionOptions } from './execution-providers.js';
import { OnnxSessionModel } from './onnx-session-model.js';
import { readModelSidecar, SidecarInputFields, sidecarProblems } from './model-sidecar.js';
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

/** Why `json` is not a mask-classifier sidecar (empty when it is one). */
export function maskSidecarProblems(json: unknown): string[] {
  return sidecarProblems(validate, json);
}

export interface MaskClassifier {
  /** Whether each aligned 112x112 face wears a mask, in order. */
  classify(faces: readonly RgbImage[]): Promise<boolean[]>;
  close(): Promise<void>;
}

export class OnnxMaskClassifier implements MaskClassifier {
  private constructor(
    private readonly model: OnnxSessionModel,
    readonly sidecar: MaskSidecar,
  ) {}

  static async create(modelPath: string, sessionOpts: SessionOptions = {}): Promise<OnnxMaskClassifier> {
    const sidecar = await readModelSidecar(modelPath, validate, 'Mask classifier');
    return new OnnxMaskClassifier(await OnnxSessionModel.open(modelPath, sidecar, 'Mask classifier', sessionOpts), sidecar);
  }

  async classify(faces: readonly RgbImage[]): Promise<boolean[]> {
    for (const f of faces) {
      if (f.width !== 112 || f.height !== 112) throw new RangeError(`The mask classifier takes 112x112 aligned crops, got ${f.width}x${f.height}`);
    }
    const m = this.sidecar.maskedClass;
    return (await this.model.run(faces, 2)).map((logits) => logits[m]! > logits[1 - m]!);
  }

  async close(): Promise<void> {
    await this.model.close();
  }
}
