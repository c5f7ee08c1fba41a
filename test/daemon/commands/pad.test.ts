// `maskgate pad`: one JSON line per input path (a live photo, a screen replay of it, a video of
// the replay, no face, corrupt, missing), in order, exit 0.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { padCommand } from '../../../daemon/commands/pad.js';
import { configFromObject } from '../../../firmware-config/load.js';
import { BlazeFaceDetector } from '../../../pipeline/detector.js';
import { readImageFile } from '../../../pipeline/image.js';
import type { RgbImage } from '../../../pipeline/types.js';
import { renderAttack, renderBonaFide } from '../../../synthetic/attack-scene.js';
import { seededRandom } from '../../../synthetic/seeded-random.js';
import { runWithIo } from '../../helpers/command-io.js';

const ROOT = join(import.meta.dirname, '../../..');
const ASSETS = join(ROOT, 'demo-assets');
const PAD_MODEL = join(ROOT, 'models/padnet/padnet.onnx');
let dir: string;
let configPath: string;

const jpeg = (image: RgbImage) => sharp(Buffer.from(image.data), { raw: { width: image.width, height: image.height, channels: 3 } }).jpeg({ quality: 90 });

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mg-pad-'));
  configPath = join(dir, 'config.json');
  writeFileSync(configPath, JSON.stringify({ dataDir: join(dir, 'data'), logLevel: 'warn' }));
  const detector = await BlazeFaceDetector.create({ modelPath: join(ROOT, 'models/blazeface/blazeface_back_256.onnx') });
  const face = async (name: string) => {
    const photo = await readImageFile(join(ASSETS, name));
    const [detection] = await detector.detectWithPadding(photo);
    return { photo, detection: detection! };
  };
  const victim = await face('sample1.jpg');
  await jpeg(await renderBonaFide(victim, seededRandom(1), null)).toFile(join(dir, 'live.jpg'));
  const replay = await renderAttack('replay', victim, await face('sample2.jpg'), seededRandom(2));
  await jpeg(replay).toFile(join(dir, 'replay.jpg'));
  // A two-second video of the replay frame.
  execFileSync('ffmpeg', ['-loglevel', 'error', '-y', '-loop', '1', '-i', join(dir, 'replay.jpg'), '-t', '2', '-r', '5', '-pix_fmt', 'yuv420p', join(dir, 'replay.mp4')]);
  await detector.close();
  await sharp({ create: { width: 320, height: 240, channels: 3, background: '#808890' } }).png().toFile(join(dir, 'plain.png'));
  writeFileSync(join(dir, 'corrupt.jpg'), Buffer.from('not a JPEG'));
  writeFileSync(join(dir, 'corrupt.mp4'), Buffer.from('not a video either'));
}, 60_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.skipIf(!existsSync(PAD_MODEL))('maskgate pad', () => {
  it('answers one JSON line per path, in order, and exits 0', async () => {
    const inputs = ['live.jpg', 'replay.jpg', 'replay.mp4', 'plain.png', 'corrupt.jpg', 'missing.jpg', 'corrupt.mp4'].map((f) => join(dir, f));
    const { code, stdout } = await runWithIo((io) => padCommand.run(['--config', configPath], io), `${inputs.join('\n')}\n`);
    expect(code).toBe(0);
    const lines = stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.map((l) => l['path'])).toEqual(inputs);
    // Scores in [0, 1]; attack is the score against the default threshold. (How well the model
    // separates live from attack is measured by eval-pad, not asserted on one photo here.)
    const { threshold } = configFromObject({}).pad;
    for (const l of lines.slice(0, 3)) {
      expect(l['score']).toBeGreaterThanOrEqual(0);
      expect(l['score']).toBeLessThanOrEqual(1);
      expect(l['attack']).toBe((l['score'] as number) >= threshold);
    }
    expect(lines[0]).toMatchObject({ attack: false, frames: 1 });
    expect(lines[2]!['frames']).toBeGreaterThan(1);
    expect(lines.slice(3).map((l) => l['error'])).toEqual(['no_face', 'image_unreadable', 'image_missing', 'video_unreadable']);
    for (const l of lines.slice(3)) expect(l['message']).toEqual(expect.any(String));
  }, 120_000);
});

describe('eval-pad presentation lists', () => {
  it('reads path,label[,attack_type] lines relative to the list, and names the line of a mistake', async () => {
    const { parsePresentationList } = await import('../../../daemon/commands/eval-pad.js');
    const rows = parsePresentationList('path,label,attack_type\nlive/1.jpg,bona_fide,masked\n# comment\n/abs/2.jpg,attack,replay\n3.jpg,attack\n', '/sets/a');
    expect(rows).toEqual([
      { path: '/sets/a/live/1.jpg', attack: false, kind: 'masked' },
      { path: '/abs/2.jpg', attack: true, kind: 'replay' },
      { path: '/sets/a/3.jpg', attack: true, kind: 'attack' },
    ]);
    expect(() => parsePresentationList('x.jpg,live\n', '/')).toThrow(/line 1: label must be bona_fide or attack/);
    expect(() => parsePresentationList('ok.jpg,attack\nx.jpg,attack,print,extra\n', '/')).toThrow(/line 2/);
  });
});
