import { describe, expect, it } from 'vitest';
import { type CaptureConfig, frameByteLength, resolveCaptureConfig } from '../../../pipeline/capture/capture-config.js';
import { CaptureError } from '../../../pipeline/capture/capture-error.js';

const base: CaptureConfig = {
  id: 'door',
  url: 'rtsp://cam/s',
  width: 640,
  height: 480,
  fps: 10,
  reconnect: { initialDelayMs: 500, maxDelayMs: 30_000, multiplier: 2 },
  stallTimeoutMs: 10_000,
};

function codeOf(config: CaptureConfig): { code: string; message: string } | undefined {
  try {
    resolveCaptureConfig(config);
    return undefined;
  } catch (error) {
    expect(error).toBeInstanceOf(CaptureError);
    return { code: (error as CaptureError).code, message: (error as CaptureError).message };
  }
}

describe('resolveCaptureConfig', () => {
  it('fills defaults: live inputs reconnect, files stop at the end', () => {
    const live = resolveCaptureConfig(base);
    expect(live.url).toEqual({ kind: 'rtsp', url: 'rtsp://cam/s' });
    expect(live.onEnd).toBe('reconnect');
    expect(live.ffmpegPath).toBe('ffmpeg');
    expect(live.killGraceMs).toBe(2000);
    expect(live.rtspTimeoutMs).toBe(10_000);
    expect(live.loop).toBe(false);
    expect(live.inputArgs).toEqual([]);
    expect(resolveCaptureConfig({ ...base, url: 'clip.mp4' }).onEnd).toBe('stop');
    expect(resolveCaptureConfig({ ...base, url: 'clip.mp4', onEnd: 'reconnect' }).onEnd).toBe('reconnect');
  });

  it.each([
    [{ id: '' }, 'id'],
    [{ width: 0 }, 'width'],
    [{ height: 1.5 }, 'height'],
    [{ width: 100_000 }, 'width'],
    [{ fps: 0 }, 'fps'],
    [{ fps: Number.NaN }, 'fps'],
    [{ stallTimeoutMs: -1 }, 'stallTimeoutMs'],
    [{ reconnect: { initialDelayMs: 0, maxDelayMs: 10, multiplier: 2 } }, 'reconnect.initialDelayMs'],
    [{ reconnect: { initialDelayMs: 100, maxDelayMs: 10, multiplier: 2 } }, 'reconnect.maxDelayMs'],
    [{ reconnect: { initialDelayMs: 10, maxDelayMs: 100, multiplier: 0.5 } }, 'reconnect.multiplier'],
    [{ loop: true }, 'loop'],
    [{ realtime: true }, 'realtime'],
    [{ onEnd: 'explode' as never }, 'onEnd'],
    [{ url: '/dev/video0', v4l2: { inputFormat: 'mjpeg; rm -rf' } }, 'v4l2.inputFormat'],
    [{ url: '/dev/video0', v4l2: { fps: 0 } }, 'v4l2.fps'],
    [{ url: 'ftp://x/y' }, 'unsupported'],
  ] as Array<[Partial<CaptureConfig>, string]>)('rejects %j naming %s', (patch, field) => {
    const failure = codeOf({ ...base, ...patch });
    expect(failure?.code).toBe('invalid_config');
    expect(failure?.message).toContain(field);
  });

  it('accepts loop/realtime where they make sense', () => {
    expect(codeOf({ ...base, url: 'clip.mp4', loop: true, realtime: true })).toBeUndefined();
    expect(codeOf({ ...base, url: 'lavfi:testsrc2', realtime: true })).toBeUndefined();
  });

  it('computes the RGB24 frame size', () => {
    expect(frameByteLength({ width: 640, height: 480 })).toBe(921_600);
  });
});
