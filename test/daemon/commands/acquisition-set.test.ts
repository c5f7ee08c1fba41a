import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acquisitionSetCommand } from '../../../daemon/commands/acquisition-set.js';
import { parsePairsCsv } from '../../../field-tools/pairs.js';
import { BlazeFaceDetector } from '../../../pipeline/detector.js';
import { readImageFile } from '../../../pipeline/image.js';
import { runWithIo } from '../../helpers/command-io.js';

const ROOT = join(import.meta.dirname, '../../..');
const DETECTOR = join(ROOT, 'models/blazeface/blazeface_back_256.onnx');
let dir: string;
let configPath: string;

// Three "people": three faces of sample6, each cut out at two framings (two photos per person).
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mg-acqset-'));
  configPath = join(dir, 'config.json');
  writeFileSync(configPath, JSON.stringify({ dataDir: join(dir, 'data'), logLevel: 'warn', model: { detector: DETECTOR } }));
  const photo = await readImageFile(join(ROOT, 'demo-assets/sample6.jpg'));
  const detector = await BlazeFaceDetector.create({ modelPath: DETECTOR, intraOpThreads: 1 });
  const faces = (await detector.detect(photo)).slice(0, 3);
  await detector.close();
  for (const [k, face] of faces.entries()) {
    const person = join(dir, 'people', `Person_${k}`);
    mkdirSync(person, { recursive: true });
    for (const [n, scale] of [1.8, 2.4].entries()) {
      const side = Math.round(face.box.width * scale);
      const left = Math.max(0, Math.round(face.box.x + face.box.width / 2 - side / 2));
      const top = Math.max(0, Math.round(face.box.y + face.box.height / 2 - side / 2));
      await sharp(photo.data, { raw: { width: photo.width, height: photo.height, channels: 3 } })
        .extract({ left, top, width: Math.min(side, photo.width - left), height: Math.min(side, photo.height - top) })
        .jpeg()
        .toFile(join(person, `Person_${k}_000${n + 1}.jpg`));
    }
  }
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const run = (out: string, extra: string[] = []) =>
  runWithIo((io) =>
    acquisitionSetCommand.run(['--root', join(dir, 'people'), '--out', out, '--config', configPath, '--impostors', '2', '--seed', '5', ...extra], io),
  );

describe('maskgate acquisition-set', () => {
  it('writes references, masked and unmasked probes per condition and pairs CSVs, reproducibly', async () => {
    const a = await run(join(dir, 'a'));
    expect(a.code).toBe(0);
    expect(readdirSync(join(dir, 'a', 'reference')).sort()).toEqual(['Person_0.jpg', 'Person_1.jpg', 'Person_2.jpg']);
    for (const condition of ['tight', 'lowres', 'jpeg', 'combined']) {
      for (const state of ['masked', 'unmasked']) expect(readdirSync(join(dir, 'a', condition, state))).toHaveLength(3);
      const pairs = parsePairsCsv(readFileSync(join(dir, 'a', 'pairs', `${condition}-masked.csv`), 'utf8'));
      expect(pairs.filter((p) => p.label === 1)).toHaveLength(3);
      expect(pairs.filter((p) => p.label === 0)).toHaveLength(6);
      for (const p of pairs) {
        const probeOwner = p.img2.split('/').pop()!.replace(/_\d+\.jpg$/, '');
        expect(p.img1 === `reference/${probeOwner}.jpg`).toBe(p.label === 1);
      }
    }
    const tight = await sharp(join(dir, 'a', 'tight', 'masked', 'Person_0_0002.jpg')).metadata();
    expect(tight.width).toBeGreaterThanOrEqual(112);
    expect(tight.width).toBeLessThanOrEqual(200);
    const manifest = readFileSync(join(dir, 'a', 'manifest.csv'), 'utf8').trim().split('\n');
    expect(manifest[0]).toBe('path,identity,condition,masked,reference_yaw_deg,face_fraction,output_size,low_res_size,jpeg_quality');

    const b = await run(join(dir, 'b'));
    expect(b.code).toBe(0);
    expect(readFileSync(join(dir, 'b', 'manifest.csv'), 'utf8')).toBe(readFileSync(join(dir, 'a', 'manifest.csv'), 'utf8'));
    expect(readFileSync(join(dir, 'b', 'pairs', 'all.csv'), 'utf8')).toBe(readFileSync(join(dir, 'a', 'pairs', 'all.csv'), 'utf8'));
    expect(readFileSync(join(dir, 'b', 'tight', 'masked', 'Person_1_0002.jpg'))).toEqual(readFileSync(join(dir, 'a', 'tight', 'masked', 'Person_1_0002.jpg')));
  });

  it('keeps only the listed people and says when too few are left', async () => {
    writeFileSync(join(dir, 'two.txt'), 'Person_0\nPerson_2\n');
    const r = await run(join(dir, 'c'), ['--identities', join(dir, 'two.txt')]);
    expect(r.code).toBe(0);
    expect(readdirSync(join(dir, 'c', 'reference')).sort()).toEqual(['Person_0.jpg', 'Person_2.jpg']);
    writeFileSync(join(dir, 'one.txt'), 'Person_1\n');
    await expect(run(join(dir, 'd'), ['--identities', join(dir, 'one.txt')])).rejects.toThrow(/at least two people/);
  });
});
