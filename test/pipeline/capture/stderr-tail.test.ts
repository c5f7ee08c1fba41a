import { describe, expect, it } from 'vitest';
import { createCredentialMasker } from '../../../pipeline/capture/mask-credentials.js';
import { StderrTail } from '../../../pipeline/capture/stderr-tail.js';

describe('StderrTail', () => {
  it('keeps the last lines across chunk boundaries and line-ending styles', () => {
    const tail = new StderrTail(3);
    tail.push('one\ntw');
    tail.push('o\r\nthree\rfour\n\n  \nfi');
    expect(tail.snapshot()).toEqual(['three', 'four', 'fi']);
    expect(tail.snapshot(1)).toEqual(['fi']);
  });

  it('bounds memory for endless lines', () => {
    const tail = new StderrTail(2);
    tail.push('x'.repeat(100_000));
    tail.push('y'.repeat(100_000));
    const [line] = tail.snapshot();
    expect(line?.length).toBeLessThan(500);
  });

  it('masks credentials in what it returns', () => {
    const tail = new StderrTail(5, createCredentialMasker('rtsp://admin:hunter22@cam/s'));
    tail.push('rtsp://admin:hunter22@cam/s: Server returned 401 Unauthorized\npassword hunter22 rejected\n');
    expect(tail.snapshot().join('\n')).not.toContain('hunter22');
    expect(tail.snapshot()[0]).toBe('rtsp://***@cam/s: Server returned 401 Unauthorized');
  });
});
