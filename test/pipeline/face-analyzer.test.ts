import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BlazeFaceDetector } from '../../pipeline/detector.js';
import { type Embedder, OnnxEmbedder } from '../../pipeline/embedder.js';
import { type AnalyzedFace, FaceAnalyzer } from '../../pipeline/face-analyzer.js';
import { readImageFile } from '../../pipeline/image.js';
import { DEFAULT_QUALITY_LIMITS, DEFAULT_QUALITY_PROFILES, type QualityProfiles } from '../../pipeline/quality.js';
import type { RgbImage } from '../../pipeline/types.js';
import { dot } from '../../pipeline/vector.js';
import { LFW } from '../helpers/datasets.js';

const ROOT = join(import.meta.dirname, '../..');

/** Records the batches it is asked to embed; returns a distinct unit vector per face. */
class RecordingEmbedder implements Embedder {
  readonly modelId = 'recording';
  readonly dimension = 4;
  readonly batches: number[] = [];
  private next = 0;
  async embed(faces: readonly RgbImage[]): Promise<Float32Array[]> {
    this.batches.push(faces.length);
    return faces.map(() => {
      const v = new Float32Array(4);
      v[this.next++ % 4] = 1;
      return v;
    });
  }
  async close(): Promise<void> {}
}

let detector: BlazeFaceDetector;
beforeAll(async () => {
  detector = await BlazeFaceDetector.create({ modelPath: join(ROOT, 'models/blazeface/blazeface_back_256.onnx') });
});
afterAll(async () => detector.close());

/** The door refuses faces under 98 px between the eyes (sample6's are about 93-102 px); photos only warn. */
const strict = { ...DEFAULT_QUALITY_LIMITS, minInterEyePx: 98 };
const strictDoor: QualityProfiles = {
  door: { refuse: { unmasked: strict, masked: strict }, warn: null },
  photo: { refuse: DEFAULT_QUALITY_PROFILES.photo.refuse, warn: { unmasked: strict, masked: strict } },
};

describe('FaceAnalyzer', () => {
  it('aligns, checks and embeds every face in one batch', async () => {
    const embedder = new RecordingEmbedder();
    const analyzer = new FaceAnalyzer(detector, embedder, DEFAULT_QUALITY_PROFILES);
    const img = await readImageFile(join(ROOT, 'demo-assets/sample6.jpg'));
    const faces = await analyzer.analyze(img);
    expect(faces).toHaveLength(4);
    expect(embedder.batches).toEqual([4]);
    for (const f of faces) {
      expect(f.quality.ok).toBe(true);
      expect(f.embedding).not.toBeNull();
      expect([f.aligned.width, f.aligned.height]).toEqual([112, 112]);
      expect(f.aligned.detection).toBe(f.detection);
    }
    expect(faces.map((f) => f.detection.score)).toEqual([...faces.map((f) => f.detection.score)].sort((a, b) => b - a));
  });

  it('keeps the best maxFaces and leaves failed faces unembedded', async () => {
    const embedder = new RecordingEmbedder();
    const analyzer = new FaceAnalyzer(detector, embedder, strictDoor);
    const img = await readImageFile(join(ROOT, 'demo-assets/sample6.jpg'));
    const faces = await analyzer.analyze(img, { maxFaces: 3 });
    expect(faces).toHaveLength(3);
    const passing = faces.filter((f) => f.quality.ok);
    // sample6's inter-eye distances are about 93-102 px, so the limit splits them.
    expect(passing.length).toBeGreaterThan(0);
    expect(passing.length).toBeLessThan(3);
    expect(embedder.batches).toEqual([passing.length]);
    for (const f of faces) {
      expect(f.embedding === null).toBe(!f.quality.ok);
      if (!f.quality.ok) expect(f.quality.reasons).toEqual(['too_small']);
    }
  });

  it('photo profile embeds what the door refuses and says why in warnings', async () => {
    const embedder = new RecordingEmbedder();
    const analyzer = new FaceAnalyzer(detector, embedder, strictDoor);
    const img = await readImageFile(join(ROOT, 'demo-assets/sample6.jpg'));
    const door = await analyzer.analyze(img);
    const photo = await analyzer.analyze(img, { profile: 'photo' });
    expect(photo.every((f) => f.quality.ok && f.embedding !== null)).toBe(true);
    const refusedAtDoor = door.filter((f) => !f.quality.ok);
    expect(refusedAtDoor.length).toBeGreaterThan(0);
    for (const f of photo) {
      const atDoor = door.find((d) => d.detection.score === f.detection.score)!;
      expect(f.quality.warnings).toEqual(atDoor.quality.reasons);
    }
  });

  it('returns nothing for a frame without faces', async () => {
    const embedder = new RecordingEmbedder();
    const analyzer = new FaceAnalyzer(detector, embedder, DEFAULT_QUALITY_PROFILES);
    const blank: RgbImage = { width: 64, height: 64, data: new Uint8Array(64 * 64 * 3) };
    expect(await analyzer.analyze(blank, { padded: true })).toEqual([]);
    expect(embedder.batches).toEqual([0]);
  });
});

describe.skipIf(!existsSync(LFW))('FaceAnalyzer on LFW (100 images, 50 identities)', () => {
  let embedder: OnnxEmbedder;
  beforeAll(async () => {
    embedder = await OnnxEmbedder.create(join(ROOT, 'models/fr_feature/fr_feature.onnx'));
  });
  afterAll(async () => embedder.close());

  it('detects >= 95% of faces and separates genuine from impostor pairs', async () => {
    const analyzer = new FaceAnalyzer(detector, embedder, DEFAULT_QUALITY_PROFILES);
    const identities = readdirSync(LFW)
      .sort()
      .filter((d) => readdirSync(join(LFW, d)).length >= 2)
      .slice(0, 50);
    const embeddings: (Float32Array | null)[][] = [];
    let detected = 0;
    for (const id of identities) {
      const pair: (Float32Array | null)[] = [];
      for (const file of readdirSync(join(LFW, id)).sort().slice(0, 2)) {
        const img = await readImageFile(join(LFW, id, file));
        const faces = await analyzer.analyze(img, { padded: true });
        // The subject is the face nearest the centre of the 250x250 funnelled image.
        const subject: AnalyzedFace | undefined = faces.find(
          (f) => Math.hypot(f.detection.box.x + f.detection.box.width / 2 - 125, f.detection.box.y + f.detection.box.height / 2 - 125) < 60,
        );
        if (subject) detected++;
        pair.push(subject?.embedding ?? null);
      }
      embeddings.push(pair);
    }
    expect(detected / 100).toBeGreaterThanOrEqual(0.95);

    const genuine: number[] = [];
    const impostor: number[] = [];
    for (let i = 0; i < embeddings.length; i++) {
      const [a, b] = embeddings[i]!;
      const other = embeddings[(i + 1) % embeddings.length]![1];
      if (a && b) genuine.push(dot(a, b));
      if (a && other) impostor.push(dot(a, other));
    }
    expect(genuine.length).toBeGreaterThanOrEqual(40);
    const mean = (v: number[]): number => v.reduce((s, x) => s + x, 0) / v.length;
    expect(mean(genuine)).toBeGreaterThan(0.5);
    expect(mean(impostor)).toBeLessThan(0.15);
    expect(mean(genuine) - mean(impostor)).toBeGreaterThan(0.4);
  });
});
