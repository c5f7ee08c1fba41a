// Which CPUs a thread may run on (Linux). Node has no API for a thread's affinity, so a thread
// is pinned with util-linux's `taskset` (Essential on Debian and Ubuntu, present on JetPack),
// which applies sched_setaffinity to one thread id. Why pin at all: on a virtual machine a vCPU
// that has been idle a few milliseconds counts as preempted, and the scheduler then wakes a
// worker on the busy vCPU of the thread that woke it instead — two scanning threads end up
// sharing one core (measured: docs/performance.md, "Threads of their own").
import { execFile } from 'node:child_process';
import { readFileSync, readlinkSync } from 'node:fs';

export class ThreadAffinityError extends Error {}

/** Parses a kernel CPU list such as `0-3,6,8-9` (/proc/self/status, sysfs) into sorted CPU numbers. */
export function parseCpuList(list: string): number[] {
  const cpus = new Set<number>();
  for (const part of list.trim().split(',')) {
    const range = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (!range) throw new ThreadAffinityError(`not a CPU list: ${JSON.stringify(list)}`);
    const first = Number(range[1]);
    const last = range[2] === undefined ? first : Number(range[2]);
    if (last < first) throw new ThreadAffinityError(`not a CPU list: ${JSON.stringify(list)}`);
    for (let cpu = first; cpu <= last; cpu++) cpus.add(cpu);
  }
  return [...cpus].sort((a, b) => a - b);
}

/**
 * The CPUs this process may run on (its `Cpus_allowed_list`: a cgroup cpuset or systemd's
 * CPUAffinity= narrow it), or null where the kernel does not say (not Linux).
 */
export function allowedCpus(procStatus?: string): number[] | null {
  let status = procStatus;
  if (status === undefined) {
    try {
      status = readFileSync('/proc/self/status', 'utf8');
    } catch {
      return null;
    }
  }
  const line = /^Cpus_allowed_list:\s*(\S+)\s*$/m.exec(status);
  return line ? parseCpuList(line[1]!) : null;
}

/** The kernel's id of the calling thread (main thread or worker), or null where there is none to read. */
export function currentThreadId(): number | null {
  try {
    // "<pid>/task/<tid>"
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    return Number.isInteger(tid) && tid > 0 ? tid : null;
  } catch {
    return null;
  }
}

/** Restricts thread `threadId` of this process to `cpus`. */
export function pinThread(threadId: number, cpus: readonly number[], tasksetPath = 'taskset'): Promise<void> {
  if (!Number.isInteger(threadId) || threadId < 1) return Promise.reject(new ThreadAffinityError(`not a thread id: ${threadId}`));
  if (cpus.length === 0 || !cpus.every((cpu) => Number.isInteger(cpu) && cpu >= 0)) {
    return Promise.reject(new ThreadAffinityError(`not a CPU list: ${JSON.stringify(cpus)}`));
  }
  return new Promise((resolve, reject) => {
    execFile(tasksetPath, ['--pid', '--cpu-list', cpus.join(','), String(threadId)], { timeout: 10_000 }, (error, _stdout, stderr) => {
      if (!error) return resolve();
      const why = String(stderr).trim() || error.message;
      reject(new ThreadAffinityError(`cannot pin thread ${threadId} to CPU ${cpus.join(',')}: ${why}`));
    });
  });
}
