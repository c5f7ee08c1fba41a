import { describe, expect, it } from 'vitest';
import { type CaptureConfig, resolveCaptureConfig } from '../../../pipeline/capture/capture-config.js';
import { buildFfmpegArgs, buildInputArgs, describeFfmpegCommand, videoFilter } from '../../../pipeline/capture/ffmpeg-args.js';

const base: CaptureConfig = {
  id: 'door',
  url: 'lavfi:testsrc2',
  width: 640,
  height: 480,
  fps: 10,
  reconnect: { initialDelayMs: 500, maxDelayMs: 30_000, multiplier: 2 },
  stallTimeoutMs: 8000,
};
const FFMPEG_5_1 = { major: 5, minor: 1 };
const FFMPEG_4_2 = { major: 4, minor: 2 };

function argsFor(patch: Partial<CaptureConfig>, version = FFMPEG_5_1): string[] {
  return buildFfmpegArgs(resolveCaptureConfig({ ...base, ...patch }), version);
}

/** The value following `flag`, asserting the flag occurs exactly once. */
function valueOf(args: string[], flag: string): string | undefined {
  expect(args.filter((a) => a === flag)).toHaveLength(1);
  return args[args.indexOf(flag) + 1];
}

describe('buildFfmpegArgs', () => {
  it('always writes RGB24 raw frames of the configured size to stdout, video only', () => {
    const args = argsFor({});
    expect(args.slice(-5)).toEqual(['-pix_fmt', 'rgb24', '-f', 'rawvideo', 'pipe:1']);
    expect(args).toEqual(expect.arrayContaining(['-nostdin', '-an', '-sn', '-dn']));
    expect(valueOf(args, '-map')).toBe('0:v:0');
    expect(valueOf(args, '-vf')).toBe(videoFilter({ width: 640, height: 480, fps: 10 }));
    expect(valueOf(args, '-fps_mode')).toBe('passthrough');
    expect(args.indexOf('-i')).toBeLessThan(args.indexOf('-vf'));
  });

  it('file: file: protocol prefix, optional -re and -stream_loop before -i', () => {
    const plain = argsFor({ url: '/videos/door:1.mp4' });
    expect(valueOf(plain, '-i')).toBe('file:/videos/door:1.mp4');
    expect(plain).not.toContain('-re');
    expect(plain).not.toContain('-stream_loop');

    const looped = argsFor({ url: '/videos/door.mp4', loop: true, realtime: true });
    const input = looped.indexOf('-i');
    expect(looped.indexOf('-re')).toBeLessThan(input);
    expect(valueOf(looped, '-stream_loop')).toBe('-1');
    expect(looped.indexOf('-stream_loop')).toBeLessThan(input);
  });

  it('lavfi: -f lavfi with the graph as input', () => {
    const args = argsFor({ url: 'lavfi:testsrc2=size=640x480:rate=15', realtime: true });
    const input = args.indexOf('-i');
    expect(args.slice(input - 2, input + 2)).toEqual(['-f', 'lavfi', '-i', 'testsrc2=size=640x480:rate=15']);
    expect(args.indexOf('-re')).toBeLessThan(input);
  });

  it('v4l2: device format, size and rate, defaulting to the output settings', () => {
    const defaults = buildInputArgs(resolveCaptureConfig({ ...base, url: '/dev/video0' }));
    expect(defaults).toEqual(['-f', 'v4l2', '-framerate', '10', '-video_size', '640x480', '-i', '/dev/video0']);

    const tuned = buildInputArgs(
      resolveCaptureConfig({
        ...base,
        url: '/dev/v4l/by-id/usb-cam-video-index0',
        v4l2: { width: 1280, height: 720, fps: 30, inputFormat: 'mjpeg' },
      }),
    );
    expect(tuned).toEqual([
      '-f', 'v4l2', '-input_format', 'mjpeg', '-framerate', '30', '-video_size', '1280x720',
      '-i', '/dev/v4l/by-id/usb-cam-video-index0',
    ]);
  });

  it('rtsp: TCP transport and a socket timeout in microseconds, named for the ffmpeg release', () => {
    const url = 'rtsp://admin:hunter22@10.0.0.5:554/stream1';
    const modern = buildInputArgs(resolveCaptureConfig({ ...base, url, rtspTimeoutMs: 5000 }), FFMPEG_5_1);
    expect(valueOf(modern, '-rtsp_transport')).toBe('tcp');
    expect(valueOf(modern, '-timeout')).toBe('5000000');
    expect(modern).not.toContain('-stimeout');
    expect(modern.at(-1)).toBe(url); // ffmpeg needs the real credentials

    // In 4.x `-timeout` would turn the client into a listening server.
    const old = buildInputArgs(resolveCaptureConfig({ ...base, url }), FFMPEG_4_2);
    expect(valueOf(old, '-stimeout')).toBe('8000000');
    expect(old).not.toContain('-timeout');
  });

  it('uses -vsync passthrough on releases before 5.1', () => {
    const args = argsFor({}, FFMPEG_4_2);
    expect(valueOf(args, '-vsync')).toBe('passthrough');
    expect(args).not.toContain('-fps_mode');
  });

  it('places extra input options just before -i', () => {
    const args = argsFor({ url: 'rtsp://cam/s', inputArgs: ['-hwaccel', 'cuda'] });
    const input = args.indexOf('-i');
    expect(args.slice(input - 2, input)).toEqual(['-hwaccel', 'cuda']);
  });

  it('renders a loggable command line with RTSP credentials masked', () => {
    const args = argsFor({ url: 'rtsp://admin:hunter22@10.0.0.5:554/stream1' });
    const line = describeFfmpegCommand('/usr/bin/ffmpeg', args);
    expect(line).toContain('rtsp://***@10.0.0.5:554/stream1');
    expect(line).not.toContain('hunter22');
    expect(line).not.toContain('admin');
    expect(line.startsWith('/usr/bin/ffmpeg -hide_banner')).toBe(true);
  });
});

describe('videoFilter', () => {
  it('limits rate by time slot, letterboxes to the output size and converts to rgb24', () => {
    const filter = videoFilter({ width: 320, height: 240, fps: 7.5 });
    expect(filter).toMatch(/^select='.*floor\(t\*7\.5\+0\.05\).*'/);
    expect(filter).toContain('scale=w=320:h=240:force_original_aspect_ratio=decrease');
    expect(filter).toContain('pad=w=320:h=240');
    expect(filter.endsWith('format=rgb24')).toBe(true);
    expect(filter).not.toMatch(/(^|,)fps=/);
  });
});
