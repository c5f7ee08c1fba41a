import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../../firmware-config/load.js';
import { Core } from '../../../daemon/appliance.js';
import { embedCommand } from '../../../daemon/commands/embed.js';
import { main } from '../../../daemon/main.js';
import { createLogger } from '../../../daemon/logger.js';
import { readImageFile } from '../../../pipeline/image.js';
import { runWithIo } from '../../helpers/command-io.js';

const ROOT = join(import.meta.dirname, '../../..');
const ASSETS = join(ROOT, 'demo-assets');

let dir: string;
let configPath: string;
const configJson = (dataDir: string) => ({
  dataDir,
  logLevel: 'warn',
  model: {
    detector: join(ROOT, 'models/blazeface/blazeface_back_256.onnx'),
    embedder: join(ROOT, 'models/fr_feature/fr_feature.onnx'),
  },
});

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mg-embed-'));
  configPath = join(dir, 'config.json');
  writeFileSync(configPath, JSON.stringify(configJson(join(dir, 'data'))));
  await sharp({ create: { width: 320, height: 240, channels: 3, background: '#808890' } }).png().toFile(join(dir, 'plain.png'));
  writeFileSync(join(dir, 'corrupt.jpg'), Buffer.from('this is not a JPEG at all, just some bytes'));
  const jpeg = readFileSync(join(ASSETS, 'sample1.jpg'));
  writeFileSync(join(dir, 'truncated.jpg'), jpeg.subarray(0, 600));
  await sharp(join(ASSETS, 'sample1.jpg')).blur(6).jpeg().toFile(join(dir, 'blurred.jpg'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function runEmbed(args: string[], stdinText: string): Promise<{ code: number; lines: string[]; stderr: string }> {
  const { code, stdout, stderr } = await runWithIo((io) => embedCommand.run(args, io), stdinText);
  expect(stdout.endsWith('\n')).toBe(true);
  return { code, lines: stdout.slice(0, -1).split('\n'), stderr };
}

describe('maskgate embed', () => {
  it('writes one JSON line per input path, in order, and exits 0 whatever the photos', async () => {
    const inputs = [
      join(ASSETS, 'sample1.jpg'),
      join(dir, 'plain.png'),
      join(dir, 'corrupt.jpg'),
      join(dir, 'missing.jpg'),
      join(ASSETS, 'sample3.jpg'),
      join(dir, 'truncated.jpg'),
      join(dir, 'blurred.jpg'),
      join(ASSETS, 'sample6.jpg'),
    ];
    // Blank lines are not inputs; CRLF line ends are accepted. Batches of 3 split the list.
    const { code, lines } = await runEmbed(['--config', configPath, '--batch', '3'], `${inputs.join('\r\n')}\n\n`);
    expect(code).toBe(0);
    expect(lines).toHaveLength(inputs.length);
    const results = lines.map(
      (l) => JSON.parse(l) as { path: string; embedding?: number[]; error?: string; message?: string; reasons?: string[]; warnings?: string[] },
    );
    expect(results.map((r) => r.path)).toEqual(inputs);
    expect(results.map((r) => r.error ?? 'ok')).toEqual([
      'ok',
      'no_face',
      'image_unreadable',
      'image_missing',
      'ok',
      'image_unreadable',
      'ok',
      'ok',
    ]);
    // The photo profile embeds the blurred photo and says what the door would object to.
    expect(results[6]!.warnings).toContain('blurry');
    for (const r of results) {
      if (r.error) {
        expect(Object.keys(r).sort()).toEqual(r.reasons ? ['error', 'message', 'path', 'reasons'] : ['error', 'message', 'path']);
        expect(r.message!.length).toBeGreaterThan(0);
      } else {
        expect(Object.keys(r).sort()).toEqual(r.warnings ? ['embedding', 'path', 'warnings'] : ['embedding', 'path']);
        expect(r.embedding).toHaveLength(512);
        expect(Math.hypot(...r.embedding!)).toBeCloseTo(1, 5);
      }
    }
  });

  it('refuses what the door would refuse with --quality door, and rejects an unknown profile', async () => {
    const blurred = join(dir, 'blurred.jpg');
    const { lines } = await runEmbed(['--config', configPath, '--quality', 'door'], `${blurred}\n`);
    expect(JSON.parse(lines[0]!)).toMatchObject({ path: blurred, error: 'quality_rejected', reasons: ['blurry'] });
    await expect(runEmbed(['--config', configPath, '--quality', 'lenient'], `${blurred}\n`)).rejects.toThrow(/--quality must be one of/);
  });

  it('embeds the largest face of a group photo, exactly as the appliance embeds it', async () => {
    const { lines } = await runEmbed(['--config', configPath], `${join(ASSETS, 'sample6.jpg')}\n`);
    const got = Float32Array.from((JSON.parse(lines[0]!) as { embedding: number[] }).embedding);
    const core = await Core.open(parseConfig(configJson(join(dir, 'data'))), createLogger('warn'));
    try {
      const faces = await core.analyzer.analyze(await readImageFile(join(ASSETS, 'sample6.jpg')), { padded: true });
      expect(faces.length).toBeGreaterThan(1);
      const area = (f: (typeof faces)[number]): number => f.detection.box.width * f.detection.box.height;
      const largest = faces.reduce((a, b) => (area(b) > area(a) ? b : a));
      expect(largest).not.toBe(faces[0]); // the best-scored face is not the largest: the choice matters
      expect(got).toEqual(largest.embedding);
    } finally {
      await core.close();
    }
  });

  it('rejects a bad --batch as a usage error', async () => {
    const { code, stderr } = await runWithIo((io) => main(['embed', '--batch', '0'], io));
    expect(code).toBe(2);
    expect(stderr).toMatch(/--batch must be an integer from 1 to 256/);
  });
});
