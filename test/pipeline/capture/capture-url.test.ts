import { describe, expect, it } from 'vitest';
import { CaptureError } from '../../../pipeline/capture/capture-error.js';
import { describeCaptureUrl, isFiniteInput, parseCaptureUrl } from '../../../pipeline/capture/capture-url.js';

describe('parseCaptureUrl', () => {
  it.each([
    ['/var/lib/maskgate/door.mp4', { kind: 'file', path: '/var/lib/maskgate/door.mp4' }],
    ['relative/clip.mkv', { kind: 'file', path: 'relative/clip.mkv' }],
    ['file:clip:with:colons.mp4', { kind: 'file', path: 'clip:with:colons.mp4' }],
    ['file:///srv/clip.mp4', { kind: 'file', path: '/srv/clip.mp4' }],
    ['lavfi:testsrc2=size=640x480:rate=15', { kind: 'lavfi', graph: 'testsrc2=size=640x480:rate=15' }],
    ['/dev/video0', { kind: 'v4l2', device: '/dev/video0' }],
    ['/dev/v4l/by-id/usb-Cam-video-index0', { kind: 'v4l2', device: '/dev/v4l/by-id/usb-Cam-video-index0' }],
    ['v4l2:/dev/cams/door', { kind: 'v4l2', device: '/dev/cams/door' }],
    ['rtsp://admin:pw@10.0.0.5:554/stream1', { kind: 'rtsp', url: 'rtsp://admin:pw@10.0.0.5:554/stream1' }],
    ['RTSPS://cam.local/live', { kind: 'rtsp', url: 'RTSPS://cam.local/live' }],
    ['  /dev/video2  ', { kind: 'v4l2', device: '/dev/video2' }],
  ])('parses %s', (url, expected) => {
    expect(parseCaptureUrl(url)).toEqual(expected);
  });

  it.each([
    ['', 'empty'],
    ['   ', 'empty'],
    ['lavfi:', 'filter graph'],
    ['v4l2:video0', 'absolute'],
    ['rtsp://', 'no host'],
    ['http://cam.local/mjpeg', 'unsupported'],
    ['udp://239.0.0.1:1234', 'unsupported'],
    ['file:', 'needs a path'],
  ])('rejects %j with invalid_config', (url, why) => {
    let thrown: unknown;
    try {
      parseCaptureUrl(url, 'door');
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(CaptureError);
    expect((thrown as CaptureError).code).toBe('invalid_config');
    expect((thrown as CaptureError).sourceId).toBe('door');
    expect((thrown as CaptureError).message).toContain(why);
  });

  it('does not leak RTSP credentials in its own error message', () => {
    expect(() => parseCaptureUrl('http://admin:hunter22@cam/x')).toThrow(/http:\/\/\*\*\*@cam/);
    expect(() => parseCaptureUrl('http://admin:hunter22@cam/x')).not.toThrow(/hunter22/);
  });
});

describe('describeCaptureUrl', () => {
  it('masks credentials and names the kind', () => {
    expect(describeCaptureUrl(parseCaptureUrl('rtsp://admin:hunter22@10.0.0.5/s'))).toBe('rtsp://***@10.0.0.5/s');
    expect(describeCaptureUrl(parseCaptureUrl('/dev/video0'))).toBe('v4l2 /dev/video0');
    expect(describeCaptureUrl(parseCaptureUrl('lavfi:testsrc2'))).toBe('lavfi testsrc2');
    expect(describeCaptureUrl(parseCaptureUrl('a.mp4'))).toBe('file a.mp4');
  });

  it('treats only files as finite', () => {
    expect(isFiniteInput(parseCaptureUrl('a.mp4'))).toBe(true);
    expect(isFiniteInput(parseCaptureUrl('lavfi:testsrc2'))).toBe(false);
    expect(isFiniteInput(parseCaptureUrl('rtsp://cam/s'))).toBe(false);
    expect(isFiniteInput(parseCaptureUrl('/dev/video0'))).toBe(false);
  });
});
