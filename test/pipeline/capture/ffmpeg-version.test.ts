import { describe, expect, it } from 'vitest';
import {
  ASSUMED_MODERN_VERSION,
  parseFfmpegVersion,
  rtspTimeoutOptionName,
  supportsFpsMode,
} from '../../../pipeline/capture/ffmpeg-version.js';

describe('parseFfmpegVersion', () => {
  it.each([
    ['ffmpeg version 5.1.9-0+deb12u1 Copyright (c) 2000-2026 the FFmpeg developers', { major: 5, minor: 1 }],
    ['ffmpeg version 4.2.7-0ubuntu0.1 Copyright (c) 2000-2022', { major: 4, minor: 2 }],
    ['ffmpeg version n6.1.1 Copyright', { major: 6, minor: 1 }],
    ['ffmpeg version 7.0-static https://johnvansickle.com/ffmpeg/', { major: 7, minor: 0 }],
    ['ffprobe version 5.1.9-0+deb12u1 Copyright', { major: 5, minor: 1 }],
    ['ffmpeg version N-113216-g1b6a3c2f0c Copyright', ASSUMED_MODERN_VERSION],
  ])('reads %s', (banner, expected) => {
    expect(parseFfmpegVersion(banner)).toEqual(expected);
  });

  it('returns undefined for something that is not ffmpeg', () => {
    expect(parseFfmpegVersion('Usage: sleep NUMBER')).toBeUndefined();
  });
});

describe('version-dependent option names', () => {
  it('uses -fps_mode from 5.1 and -timeout from 5.0', () => {
    expect(supportsFpsMode({ major: 5, minor: 1 })).toBe(true);
    expect(supportsFpsMode({ major: 5, minor: 0 })).toBe(false);
    expect(supportsFpsMode({ major: 6, minor: 0 })).toBe(true);
    expect(rtspTimeoutOptionName({ major: 5, minor: 0 })).toBe('-timeout');
    expect(rtspTimeoutOptionName({ major: 4, minor: 4 })).toBe('-stimeout');
  });
});
