// The threads of the coded scan (GalleryMatcher.searchCoded). Left to the scheduler, two threads
// scanning at once often share one core on a virtual machine (thread-affinity.ts says why), so
// where the process may use a CPU per scanning thread, every scanning thread is a helper pinned
// to a CPU of its own and the event-loop thread only sends the probe and re-ranks. The event-loop
// thread itself is never pinned: what it starts later (ffmpeg, onnxruntime's threads) inherits
// its CPUs, and the cameras need all of them. Elsewhere the event-loop thread scans its share
// beside `threads - 1` unpinned helpers.
import { CodedScanHelper } from './coded-scan-helper.js';
import { allowedCpus } from './thread-affinity.js';

export interface CodedScanThreads {
  readonly helpers: readonly CodedScanHelper[];
  /** Whether the event-loop thread scans a share of the blocks too (CodedSearchOptions.scanHere). */
  readonly scanHere: boolean;
  /** The CPU each helper is pinned to, in order; null when they are not pinned. */
  readonly helperCpus: readonly number[] | null;
  /** Why they are not, when pinning was asked for. */
  readonly notPinned: string | null;
}

export interface CodedScanThreadOptions {
  /** Give each scanning thread a CPU of its own where there are enough. */
  readonly pin: boolean;
  /** The CPUs the process may use (default: the kernel's list for this process). */
  readonly allowedCpus?: readonly number[] | null;
  readonly createHelper?: () => CodedScanHelper;
}

/** Starts the helpers for `threads` scanning threads (1: the event-loop thread alone). */
export async function startCodedScanThreads(threads: number, options: CodedScanThreadOptions): Promise<CodedScanThreads> {
  if (!Number.isInteger(threads) || threads < 1) throw new RangeError(`threads must be a positive integer, got ${threads}`);
  const create = options.createHelper ?? (() => CodedScanHelper.create());
  const unpinned = (notPinned: string | null): CodedScanThreads => ({
    helpers: Array.from({ length: threads - 1 }, create),
    scanHere: true,
    helperCpus: null,
    notPinned,
  });
  if (threads === 1) return { helpers: [], scanHere: true, helperCpus: null, notPinned: null };
  if (!options.pin) return unpinned(null);
  const cpus = options.allowedCpus === undefined ? allowedCpus() : options.allowedCpus;
  if (cpus === null) return unpinned('the kernel does not list the CPUs this process may use');
  if (cpus.length < threads) return unpinned(`${threads} scanning threads need as many CPUs; this process may use ${cpus.length}`);
  // The last CPUs: the first usually takes more of the interrupts.
  const helperCpus = cpus.slice(cpus.length - threads);
  const helpers = Array.from({ length: threads }, create);
  try {
    await Promise.all(helpers.map((helper, i) => helper.pinTo(helperCpus[i]!)));
  } catch (err) {
    await Promise.all(helpers.map((helper) => helper.close()));
    return unpinned((err as Error).message);
  }
  return { helpers, scanHere: false, helperCpus, notPinned: null };
}
