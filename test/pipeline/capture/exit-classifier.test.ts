import { describe, expect, it } from 'vitest';
import { classifyRunOutcome } from '../../../pipeline/capture/exit-classifier.js';

const failed = (...stderrLines: string[]) => ({ exitCode: 1, signal: null, stderrLines });

describe('classifyRunOutcome', () => {
  it('treats exit 0 as the input ending', () => {
    expect(classifyRunOutcome({ exitCode: 0, signal: null, stderrLines: ['[h264] error while decoding MB 1 2'] })).toBe(
      'source_ended',
    );
  });

  it.each([
    ['file:/x.mp4: No such file or directory'],
    ['file:/x: Is a directory'],
    ['[tcp @ 0x1] Connection to tcp://10.0.0.5:554 failed: Connection refused'],
    ['rtsp://***@10.0.0.5/s: Server returned 401 Unauthorized (authorization failed)'],
    ['[rtsp @ 0x1] method DESCRIBE failed: 404 Not Found'],
    ['rtsp://***@10.0.0.5/s: Connection timed out'],
    ['[video4linux2,v4l2 @ 0x1] Cannot open video device /dev/video0: No such file or directory'],
    ['/dev/video0: Device or resource busy'],
  ])('source_unavailable for %s', (line) => {
    expect(classifyRunOutcome(failed('some earlier noise', line))).toBe('source_unavailable');
  });

  it.each([
    ['[mov,mp4,m4a,3gp,3g2,mj2 @ 0x1] moov atom not found'],
    ['file:/x.mp4: Invalid data found when processing input'],
    ['[h264 @ 0x1] Invalid NAL unit size (1018 > 191).'],
    ['Error while decoding stream #0:0: Invalid data found when processing input'],
  ])('decode_error for %s', (line) => {
    expect(classifyRunOutcome(failed(line))).toBe('decode_error');
  });

  it('lets the newest meaningful line win', () => {
    expect(classifyRunOutcome(failed('[h264] error while decoding MB 3 4', 'rtsp://h/s: Connection reset by peer'))).toBe(
      'source_unavailable',
    );
    expect(classifyRunOutcome(failed('Connection refused', 'moov atom not found'))).toBe('decode_error');
  });

  it('falls back to process_failed when nothing explains the exit', () => {
    expect(classifyRunOutcome(failed('camera went away'))).toBe('process_failed');
    expect(classifyRunOutcome({ exitCode: null, signal: 'SIGKILL', stderrLines: [] })).toBe('process_failed');
  });
});
