// A coded-scan helper in the test's own thread: it keeps a copy of the blocks it is sent, as the
// real worker does, and answers a scan from it with the same kernel after `delayMs()` (a busy
// core) or not at all when `delayMs()` is Infinity (a core that never comes back).
import type { BlockScanHelper } from '../../pipeline/coded-scan-helper.js';
import { topRowsByCodeDot } from '../../pipeline/int8-top-rows.js';

export interface FakeScanHelper {
  readonly helper: BlockScanHelper;
  /** Scans answered so far, and the blocks each was asked for. */
  readonly scans: number[][];
  /** Stops the answers still pending (call at the end of a test). */
  cancel(): void;
}

export function fakeScanHelper(delayMs: () => number = () => 0): FakeScanHelper {
  const blocks = new Map<number, Int8Array<ArrayBuffer>>();
  const scans: number[][] = [];
  const timers: NodeJS.Timeout[] = [];
  const helper: BlockScanHelper = {
    mirrorOf: null,
    broken: null,
    putBlock: (block, blockBytes, codes) => {
      const copy = new Int8Array(blockBytes);
      copy.set(codes);
      blocks.set(block, copy);
    },
    putRows: (block, dimension, offsets, codes) =>
      offsets.forEach((offset, i) => blocks.get(block)!.set(codes.subarray(i * dimension, (i + 1) * dimension), offset * dimension)),
    scan: (probe, count, parts) =>
      new Promise((resolve) => {
        const delay = delayMs();
        if (delay === Number.POSITIVE_INFINITY) return;
        timers.push(
          setTimeout(() => {
            scans.push(parts.map((part) => part.block));
            resolve(parts.map(({ block, rows }) => topRowsByCodeDot(blocks.get(block)!.subarray(0, rows * probe.length), probe, count)));
          }, delay),
        );
      }),
  };
  return { helper, scans, cancel: () => timers.forEach((timer) => clearTimeout(timer)) };
}
