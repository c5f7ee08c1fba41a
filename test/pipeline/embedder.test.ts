import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alignFace } from '../../pipeline/align.js';
import { BlazeFaceDetector } from '../../pipeline/detector.js';
import {
  EmbedderInputError,
  OnnxEmbedder,
  readSidecar,
  sidecarPathFor,
  validateSidecar,
} from '../../pipeline/embedder.js';
import { ModelLoadError } from '../../pipeline/execution-providers.js';
import { decodeImage, readImageFile } from '../../pipeline/image.js';
import type { AlignedFace, RgbImage } from '../../pipeline/types.js';
import { dot } from '../../pipeline/vector.js';

const ROOT = join(import.meta.dirname, '../..');
const MODEL = join(ROOT, 'models/fr_feature/fr_feature.onnx');
const SIDECAR = JSON.parse(readFileSync(sidecarPathFor(MODEL), 'utf8')) as Record<string, unknown>;

/** A temp folder holding the real model under `name.onnx` with the given sidecar content. */
function modelWithSidecar(sidecar: string | null, name = 'model'): string {
  const dir = mkdtempSync(join(tmpdir(), 'maskgate-emb-'));
  const path = join(dir, `${name}.onnx`);
  copyFileSync(MODEL, path);
  if (sidecar !== null) writeFileSync(join(dir, `${name}.json`), sidecar);
  return path;
}

async function expectLoadError(p: Promise<unknown>, code: string, message?: RegExp): Promise<void> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ModelLoadError);
  expect((err as ModelLoadError).code).toBe(code);
  if (message) expect((err as Error).message).toMatch(message);
}

describe('sidecar', () => {
  it('accepts the shipped fr_feature sidecar', async () => {
    expect(validateSidecar(SIDECAR)).toEqual([]);
    const s = await readSidecar(MODEL);
    expect(s).toMatchObject({ modelId: 'fr_feature-87aacdfe', channelOrder: 'BGR', layout: 'NCHW', maxBatch: 1 });
  });

  it('lists every problem of an invalid sidecar', () => {
    const problems = validateSidecar({ ...SIDECAR, layout: 'CHW', std: [128, 0, 128], maxBatch: 0, extra: 1 });
    expect(problems).toEqual([
      'layout must be "NCHW" or "NHWC"',
      'std must be 3 positive numbers',
      'maxBatch must be a positive integer or null',
      'unknown key extra',
    ]);
    expect(validateSidecar([])).toEqual(['must be a JSON object']);
  });

  it('accepts a provenance object, which the daemon does not read, and nothing else beside it', async () => {
    expect(validateSidecar({ ...SIDECAR, provenance: { teacher: 'fr_feature', metrics: {} } })).toEqual([]);
    expect(validateSidecar({ ...SIDECAR, provenance: 'LFW' })).toEqual(['provenance must be an object']);
    const g2d = await readSidecar(resolve('models/g2d/g2d.onnx'));
    expect(g2d).toMatchObject({ embeddingSize: 512, maxBatch: null, normalized: true });
  });

  it('maps a missing or broken sidecar to typed errors', async () => {
    await expectLoadError(OnnxEmbedder.create(modelWithSidecar(null)), 'sidecar_missing', /model\.json not found/);
    await expectLoadError(OnnxEmbedder.create(modelWithSidecar('{ nope')), 'sidecar_invalid', /not valid JSON/);
    await expectLoadError(
      OnnxEmbedder.create(modelWithSidecar(JSON.stringify({ ...SIDECAR, embeddingSize: 'big' }))),
      'sidecar_invalid',
      /embeddingSize/,
    );
  });

  it('refuses a sidecar that does not match the model', async () => {
    await expectLoadError(
      OnnxEmbedder.create(modelWithSidecar(JSON.stringify({ ...SIDECAR, inputName: 'data' }))),
      'sidecar_invalid',
      /no input "data"/,
    );
    await expectLoadError(
      OnnxEmbedder.create(modelWithSidecar(JSON.stringify({ ...SIDECAR, inputSize: [128, 128] }))),
      'sidecar_invalid',
      /input shape/,
    );
    await expectLoadError(
      OnnxEmbedder.create(modelWithSidecar(JSON.stringify({ ...SIDECAR, embeddingSize: 128 }))),
      'sidecar_invalid',
      /embeddingSize/,
    );
    await expectLoadError(
      OnnxEmbedder.create(modelWithSidecar(JSON.stringify({ ...SIDECAR, maxBatch: null }))),
      'sidecar_invalid',
      /fixed batch/,
    );
  });

  it('reports a missing model file as model_missing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'maskgate-emb-'));
    writeFileSync(join(dir, 'gone.json'), JSON.stringify(SIDECAR));
    await expectLoadError(OnnxEmbedder.create(join(dir, 'gone.onnx')), 'model_missing');
  });

  it('names the missing .onnx, not its sidecar, when both are missing (as a mistyped model path leaves them)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'maskgate-emb-'));
    await expectLoadError(OnnxEmbedder.create(join(dir, 'typo.onnx')), 'model_missing', /Model file not found: .*typo\.onnx$/);
  });
});

describe('OnnxEmbedder on demo faces', () => {
  let embedder: OnnxEmbedder;
  let detector: BlazeFaceDetector;
  let faces: AlignedFace[];
  let augmented: AlignedFace[];

  beforeAll(async () => {
    embedder = await OnnxEmbedder.create(MODEL, { intraOpThreads: 1 });
    detector = await BlazeFaceDetector.create({ modelPath: join(ROOT, 'models/blazeface/blazeface_back_256.onnx') });
    const img = await readImageFile(join(ROOT, 'demo-assets/sample6.jpg'));
    faces = (await detector.detect(img)).map((d) => alignFace(img, d));
    // Second view of the same photo: mirrored, downscaled to 60%, darker, gamma-shifted, blurred
    // and JPEG-compressed, then re-detected, so detection, alignment and pixels all differ.
    const scale = 0.6;
    const jpeg = await sharp(img.data, { raw: { width: img.width, height: img.height, channels: 3 } })
      .flop()
      .resize(Math.round(img.width * scale))
      .linear(0.8, 10)
      .gamma(1.6)
      .blur(1)
      .jpeg({ quality: 50 })
      .toBuffer();
    const aug: RgbImage = await decodeImage(jpeg);
    const augDetections = await detector.detect(aug);
    // Pair each augmented detection with the original face at the mirrored place.
    augmented = faces.map((f) => {
      const cx = (img.width - (f.detection.box.x + f.detection.box.width / 2)) * scale;
      const d = augDetections.find((a) => Math.abs(a.box.x + a.box.width / 2 - cx) < a.box.width / 3);
      if (!d) throw new Error('augmented face not re-detected');
      return alignFace(aug, d);
    });
  });
  afterAll(async () => {
    await embedder.close();
    await detector.close();
  });

  it('returns unit-length embeddings of the sidecar dimension', async () => {
    expect(embedder.modelId).toBe('fr_feature-87aacdfe');
    expect(embedder.dimension).toBe(512);
    const [e] = await embedder.embed([faces[0]!]);
    expect(e).toHaveLength(512);
    expect(dot(e!, e!)).toBeCloseTo(1, 5);
    expect(await embedder.embed([])).toEqual([]);
  });

  it('scores the same face high and different people lower', async () => {
    expect(faces).toHaveLength(4);
    const a = await embedder.embed(faces);
    const b = await embedder.embed(augmented);
    for (let i = 0; i < faces.length; i++) {
      const genuine = dot(a[i]!, b[i]!);
      expect(genuine).toBeGreaterThan(0.6);
      for (let j = 0; j < faces.length; j++) {
        if (j !== i) expect(dot(a[i]!, b[j]!)).toBeLessThan(genuine - 0.3);
      }
    }
  });

  it('embeds a batch exactly as one face at a time, in order', async () => {
    const batch = await embedder.embed(faces.slice(0, 3));
    const single = await Promise.all(faces.slice(0, 3).map(async (f) => (await embedder.embed([f]))[0]!));
    batch.forEach((e, i) => expect(Array.from(e)).toEqual(Array.from(single[i]!)));
  });

  it('rejects crops of the wrong size', async () => {
    const wrong: RgbImage = { width: 100, height: 100, data: new Uint8Array(100 * 100 * 3) };
    await expect(embedder.embed([wrong])).rejects.toBeInstanceOf(EmbedderInputError);
  });
});
