import { readFileSync, truncateSync, writeFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CaptureError } from '../../../pipeline/capture/capture-error.js';
import { parseRate, probeSource } from '../../../pipeline/capture/probe-source.js';
import { ffmpegAvailable, generateVideo, makeTempDir } from '../../fixtures/video/capture-fixtures.js';

async function probeError(url: string, options = {}): Promise<CaptureError> {
  try {
    await probeSource(url, options);
  } catch (error) {
    expect(error).toBeInstanceOf(CaptureError);
    return error as CaptureError;
  }
  throw new Error(`probe of ${url} unexpectedly succeeded`);
}

describe('parseRate', () => {
  it('reads ffprobe rationals', () => {
    expect(parseRate('30/1')).toBe(30);
    expect(parseRate('30000/1001')).toBeCloseTo(29.97, 2);
    expect(parseRate('0/0')).toBeUndefined();
    expect(parseRate(undefined)).toBeUndefined();
    expect(parseRate('fast')).toBeUndefined();
  });
});

describe.skipIf(!ffmpegAvailable)('probeSource (real ffprobe)', () => {
  const tmp = makeTempDir();
  const video = join(tmp.path, 'clip.mp4');
  beforeAll(() => generateVideo(video, { width: 96, height: 72, rate: 25, seconds: 1 }));
  afterAll(() => tmp.remove());

  it('describes a video file', async () => {
    const result = await probeSource(video);
    expect(result.formatName).toContain('mp4');
    expect(result.durationSec).toBeCloseTo(1, 1);
    expect(result.video).toEqual({ codec: 'mpeg4', width: 96, height: 72, fps: 25 });
  });

  it('describes a lavfi source', async () => {
    const result = await probeSource('lavfi:testsrc2=size=320x240:rate=15');
    expect(result.video).toMatchObject({ width: 320, height: 240, fps: 15 });
  });

  it('explains a corrupt file and a missing file', async () => {
    const corrupt = join(tmp.path, 'corrupt.mp4');
    writeFileSync(corrupt, readFileSync(video));
    truncateSync(corrupt, Math.floor(statSync(corrupt).size / 2));
    const decode = await probeError(corrupt);
    expect(decode.code).toBe('decode_error');
    expect(decode.message).toMatch(/moov atom not found|Invalid data/);

    const missing = await probeError(join(tmp.path, 'missing.mp4'));
    expect(missing.code).toBe('source_unavailable');
  });

  it('reports a file without video', async () => {
    const audioOnly = join(tmp.path, 'tone.wav');
    const { execFileSync } = await import('node:child_process');
    execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', 'sine=duration=0.2', audioOnly]);
    expect((await probeError(audioOnly)).code).toBe('no_video_stream');
  });

  it('reports a missing ffprobe and an invalid URL', async () => {
    expect((await probeError(video, { ffprobePath: join(tmp.path, 'no-ffprobe') })).code).toBe('spawn_failed');
    expect((await probeError('http://cam/x')).code).toBe('invalid_config');
  });
});
