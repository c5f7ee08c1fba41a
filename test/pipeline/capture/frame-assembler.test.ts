import { describe, expect, it } from 'vitest';
import { FrameAssembler } from '../../../pipeline/capture/frame-assembler.js';

/** Bytes 0..n-1 (mod 256), so any misplaced byte changes the frames. */
function stream(n: number): Uint8Array {
  return Uint8Array.from({ length: n }, (_, i) => (i * 7 + 3) % 256);
}

function assemble(frameBytes: number, data: Uint8Array, cuts: number[]): { frames: Uint8Array[]; pending: number } {
  const assembler = new FrameAssembler(frameBytes);
  const frames: Uint8Array[] = [];
  let start = 0;
  for (const end of [...cuts, data.length]) {
    assembler.push(data.subarray(start, end), (frame) => frames.push(frame));
    start = end;
  }
  return { frames, pending: assembler.pendingBytes };
}

describe('FrameAssembler', () => {
  const frameBytes = 12;
  const data = stream(frameBytes * 4 + 5);
  const expected = [0, 1, 2, 3].map((i) => data.slice(i * frameBytes, (i + 1) * frameBytes));

  it.each([
    ['one chunk', []],
    ['byte by byte', Array.from({ length: data.length - 1 }, (_, i) => i + 1)],
    ['cuts inside frames', [5, 13, 30, 31, 50]],
    ['cuts exactly on boundaries', [12, 24, 36, 48]],
    ['an empty chunk', [0, 0, 20]],
  ])('reassembles frames from %s', (_name, cuts) => {
    const { frames, pending } = assemble(frameBytes, data, cuts);
    expect(frames).toEqual(expected);
    expect(pending).toBe(5);
  });

  it('hands out every frame in its own ArrayBuffer, independent of the input chunk', () => {
    const chunk = stream(frameBytes * 3);
    const { frames } = assemble(frameBytes, chunk, [7]);
    expect(new Set(frames.map((f) => f.buffer)).size).toBe(3);
    for (const frame of frames) {
      expect(frame.byteOffset).toBe(0);
      expect(frame.buffer.byteLength).toBe(frameBytes);
      expect(frame.buffer).not.toBe(chunk.buffer);
    }
    chunk.fill(0);
    expect(frames[1]).toEqual(stream(frameBytes * 3).slice(frameBytes, 2 * frameBytes));
  });

  it('drops a partial frame on request and starts clean afterwards', () => {
    const assembler = new FrameAssembler(4);
    const frames: Uint8Array[] = [];
    assembler.push(Uint8Array.of(1, 2, 3), (f) => frames.push(f));
    expect(assembler.discardPartial()).toBe(3);
    assembler.push(Uint8Array.of(9, 8, 7, 6), (f) => frames.push(f));
    expect(frames).toEqual([Uint8Array.of(9, 8, 7, 6)]);
  });

  it('rejects a non-positive frame size', () => {
    expect(() => new FrameAssembler(0)).toThrow(RangeError);
  });
});
