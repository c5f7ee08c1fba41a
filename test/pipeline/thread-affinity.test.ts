import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { allowedCpus, currentThreadId, parseCpuList, pinThread, ThreadAffinityError } from '../../pipeline/thread-affinity.js';

const onLinux = process.platform === 'linux';

function cpusOfThread(threadId: number): number[] {
  const status = readFileSync(`/proc/self/task/${threadId}/status`, 'utf8');
  return parseCpuList(/^Cpus_allowed_list:\s*(\S+)/m.exec(status)![1]!);
}

describe('parseCpuList', () => {
  it('reads single CPUs and ranges in any order, without repeats', () => {
    expect(parseCpuList('0-3,6')).toEqual([0, 1, 2, 3, 6]);
    expect(parseCpuList('5')).toEqual([5]);
    expect(parseCpuList('8-9,1,1-2\n')).toEqual([1, 2, 8, 9]);
  });

  it.each(['', 'a', '3-1', '0,,1', '1-', '-1'])('refuses %j', (list) => {
    expect(() => parseCpuList(list)).toThrow(ThreadAffinityError);
  });
});

describe('allowedCpus', () => {
  it("reads the process's Cpus_allowed_list, or says null when the kernel gives none", () => {
    expect(allowedCpus('Name:\tnode\nCpus_allowed:\t3\nCpus_allowed_list:\t0-1\nMems_allowed:\t1\n')).toEqual([0, 1]);
    expect(allowedCpus('Name:\tnode\n')).toBeNull();
  });

  it.skipIf(!onLinux)('lists at least the CPU this test runs on', () => {
    expect(allowedCpus()!.length).toBeGreaterThanOrEqual(1);
  });
});

describe.skipIf(!onLinux)('pinThread', () => {
  it('restricts one thread of this process to the CPUs given, and can give them back', async () => {
    const threadId = currentThreadId()!;
    expect(threadId).toBeGreaterThan(0);
    const before = cpusOfThread(threadId);
    const one = before[before.length - 1]!;
    try {
      await pinThread(threadId, [one]);
      expect(cpusOfThread(threadId)).toEqual([one]);
    } finally {
      await pinThread(threadId, before);
    }
    expect(cpusOfThread(threadId)).toEqual(before);
  });

  it('says why when it cannot: a CPU that does not exist, no taskset, a bad argument', async () => {
    const threadId = currentThreadId()!;
    await expect(pinThread(threadId, [4095])).rejects.toThrow(/cannot pin thread \d+ to CPU 4095/);
    await expect(pinThread(threadId, [0], '/nonexistent/taskset')).rejects.toThrow(ThreadAffinityError);
    await expect(pinThread(0, [0])).rejects.toThrow(/not a thread id/);
    await expect(pinThread(threadId, [])).rejects.toThrow(/not a CPU list/);
    await expect(pinThread(threadId, [-1])).rejects.toThrow(/not a CPU list/);
  });
});
