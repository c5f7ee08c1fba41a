import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { startCodedScanThreads, type CodedScanThreads } from '../../pipeline/coded-scan-threads.js';
import { allowedCpus, parseCpuList } from '../../pipeline/thread-affinity.js';

const cpus = allowedCpus();
const twoCpus = cpus !== null && cpus.length >= 2;

/** The CPU lists of this process's threads that are restricted to exactly one CPU. */
function singleCpuThreads(): number[] {
  const found: number[] = [];
  for (const task of readdirSync('/proc/self/task')) {
    try {
      const list = parseCpuList(/^Cpus_allowed_list:\s*(\S+)/m.exec(readFileSync(`/proc/self/task/${task}/status`, 'utf8'))![1]!);
      if (list.length === 1) found.push(list[0]!);
    } catch {
      // the thread ended while we looked
    }
  }
  return found.sort((a, b) => a - b);
}

async function closeAll(threads: CodedScanThreads): Promise<void> {
  await Promise.all(threads.helpers.map((helper) => helper.close()));
}

describe('startCodedScanThreads', () => {
  it('needs no helper for one thread, and leaves the helpers to the scheduler when asked to', async () => {
    expect(await startCodedScanThreads(1, { pin: true })).toEqual({ helpers: [], scanHere: true, helperCpus: null, notPinned: null });
    const unpinned = await startCodedScanThreads(3, { pin: false });
    try {
      expect(unpinned.helpers).toHaveLength(2);
      expect(unpinned).toMatchObject({ scanHere: true, helperCpus: null, notPinned: null });
    } finally {
      await closeAll(unpinned);
    }
    await expect(startCodedScanThreads(0, { pin: true })).rejects.toThrow(RangeError);
  });

  it('says why it does not pin: too few CPUs, or none listed', async () => {
    for (const [allowed, why] of [
      [[0], /2 scanning threads need as many CPUs; this process may use 1/],
      [null, /does not list the CPUs/],
    ] as const) {
      const threads = await startCodedScanThreads(2, { pin: true, allowedCpus: allowed });
      try {
        expect(threads.helpers).toHaveLength(1);
        expect(threads.scanHere).toBe(true);
        expect(threads.helperCpus).toBeNull();
        expect(threads.notPinned).toMatch(why);
      } finally {
        await closeAll(threads);
      }
    }
  });

  it.skipIf(!twoCpus)('pins one helper per scanning thread to a CPU of its own; the event-loop thread only re-ranks', async () => {
    const before = singleCpuThreads();
    const threads = await startCodedScanThreads(2, { pin: true });
    try {
      expect(threads.helpers).toHaveLength(2);
      expect(threads.scanHere).toBe(false);
      expect(threads.notPinned).toBeNull();
      expect(threads.helperCpus).toEqual(cpus!.slice(-2));
      expect(singleCpuThreads()).toEqual([...before, ...cpus!.slice(-2)].sort((a, b) => a - b));
    } finally {
      await closeAll(threads);
    }
  });

  it.skipIf(!twoCpus)('falls back to unpinned helpers beside the event-loop thread when pinning fails', async () => {
    const threads = await startCodedScanThreads(2, { pin: true, allowedCpus: [4094, 4095] });
    try {
      expect(threads.helpers).toHaveLength(1);
      expect(threads.scanHere).toBe(true);
      expect(threads.helperCpus).toBeNull();
      expect(threads.notPinned).toMatch(/cannot pin thread \d+ to CPU 409[45]/);
      expect(threads.helpers[0]!.broken).toBeNull();
    } finally {
      await closeAll(threads);
    }
  });
});
