import { describe, expect, it } from 'vitest';
import { createCredentialMasker, maskUrlCredentials } from '../../../pipeline/capture/mask-credentials.js';

describe('maskUrlCredentials', () => {
  it('masks user and password of every URL in a text', () => {
    const text = 'rtsp://admin:hunter22@10.0.0.5:554/s1: 401 Unauthorized; retry rtsps://op:x@cam.local/s2';
    expect(maskUrlCredentials(text)).toBe('rtsp://***@10.0.0.5:554/s1: 401 Unauthorized; retry rtsps://***@cam.local/s2');
  });

  it('masks passwords that contain an unencoded @', () => {
    expect(maskUrlCredentials('rtsp://admin:p@ss@10.0.0.5/s')).toBe('rtsp://***@10.0.0.5/s');
  });

  it('leaves URLs without credentials and e-mail-like text alone', () => {
    expect(maskUrlCredentials('rtsp://10.0.0.5/s tcp://127.0.0.1:1?timeout=5')).toBe('rtsp://10.0.0.5/s tcp://127.0.0.1:1?timeout=5');
    expect(maskUrlCredentials('mail ops@example.com')).toBe('mail ops@example.com');
  });
});

describe('createCredentialMasker', () => {
  it('also masks the bare password, raw and percent-decoded', () => {
    const mask = createCredentialMasker('rtsp://admin:s%40fe-pass@10.0.0.5/s');
    expect(mask('auth failed for s@fe-pass and s%40fe-pass')).toBe('auth failed for *** and ***');
    expect(mask('rtsp://admin:s%40fe-pass@10.0.0.5/s refused')).toBe('rtsp://***@10.0.0.5/s refused');
  });

  it('is a plain URL masker when the URL has no password', () => {
    const mask = createCredentialMasker('/dev/video0');
    expect(mask('rtsp://a:b@h/x /dev/video0: busy')).toBe('rtsp://***@h/x /dev/video0: busy');
  });
});
