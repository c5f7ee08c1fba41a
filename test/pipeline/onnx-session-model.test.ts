// The shared runner of the image models (embedder, PAD, mask flag): input writing, batching,
// load-time checks and a clear error for an output of the wrong size.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ModelLoadError } from '../../pipeline/execution-providers.js';
import { readModelSidecar } from '../../pipeline/model-sidecar.js';
import { MaskSidecarSchema } from '../../pipeline/mask-classifier.js';
import { OnnxSessionModel, writeModelInput, type ImageModelSpec } from '../../pipeline/onnx-session-model.js';
import type { RgbImage } from '../../pipeline/types.js';
import { Ajv } from 'ajv';

describe('writeModelInput', () => {
  // Two pixels: (R,G,B) = (10,20,30) and (40,50,60).
  const face: RgbImage = { width: 2, height: 1, data: Uint8Array.from([10, 20, 30, 40, 50, 60]) };

  it('writes NCHW BGR planes with (x - mean) / std', () => {
    const out = new Float32Array(8).fill(99);
    writeModelInput(face, { layout: 'NCHW', channelOrder: 'BGR', mean: [0, 10, 20], std: [1, 2, 4] }, out, 1);
    // B plane (mean 0, std 1), G plane (mean 10, std 2), R plane (mean 20, std 4).
    expect(Array.from(out)).toEqual([99, 30, 60, 5, 20, -2.5, 5, 99]);
  });

  it('writes NHWC RGB pixels', () => {
    const out = new Float32Array(6);
    writeModelInput(face, { layout: 'NHWC', channelOrder: 'RGB', mean: [10, 10, 10], std: [10, 10, 10] }, out, 0);
    expect(Array.from(out)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(() => writeModelInput(face, { layout: 'NHWC', channelOrder: 'RGB', mean: [0, 0, 0], std: [1, 1, 1] }, out, 1)).toThrow(
      RangeError,
    );
  });
});

const MASKFLAG = join(import.meta.dirname, '../../models/maskflag/maskflag.onnx');
const spec = (): Promise<ImageModelSpec> => readModelSidecar(MASKFLAG, new Ajv({ strict: false }).compile(MaskSidecarSchema), 'Mask classifier');

/** A 112x112 crop of one grey level with a gradient, so that each differs. */
const crop = (level: number): RgbImage => ({
  width: 112,
  height: 112,
  data: Uint8Array.from({ length: 112 * 112 * 3 }, (_, i) => (level + Math.floor(i / 336)) % 256),
});

describe('OnnxSessionModel', () => {
  it('runs a batch in chunks of maxBatch with the same rows, in order, as one run', async () => {
    const whole = await OnnxSessionModel.open(MASKFLAG, await spec(), 'Mask classifier');
    const oneByOne = await OnnxSessionModel.open(MASKFLAG, { ...(await spec()), maxBatch: 2 }, 'Mask classifier');
    try {
      const images = [10, 80, 150, 220, 30].map(crop);
      const a = await whole.run(images, 2);
      const b = await oneByOne.run(images, 2);
      expect(a).toHaveLength(5);
      a.forEach((row, i) => {
        expect(row).toHaveLength(2);
        b[i]!.forEach((v, k) => expect(v).toBeCloseTo(row[k]!, 4));
      });
      expect(await whole.run([], 2)).toEqual([]);
    } finally {
      await whole.close();
      await oneByOne.close();
    }
  });

  it('says which model returned an output of the wrong size', async () => {
    const model = await OnnxSessionModel.open(MASKFLAG, await spec(), 'Mask classifier');
    try {
      await expect(model.run([crop(0)], 3)).rejects.toThrow(/Mask classifier .* returned 2 values for 1 inputs of 3 outputs each/);
    } finally {
      await model.close();
    }
  });

  it('refuses at load time a sidecar naming a tensor the model does not have', async () => {
    const err = await OnnxSessionModel.open(MASKFLAG, { ...(await spec()), outputName: 'nope' }, 'Mask classifier').then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ModelLoadError);
    expect(err).toMatchObject({ code: 'sidecar_invalid', message: expect.stringMatching(/no output "nope"/) });
  });
});
