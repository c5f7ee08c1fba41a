// Summaries of timing samples. Medians and 95th percentiles rather than means: the benchmark
// shares its CPU with other work, and a few preempted runs must not move the headline figure.

export interface Summary {
  readonly n: number;
  readonly median: number;
  readonly p95: number;
  readonly mean: number;
  readonly min: number;
  readonly max: number;
}

/** Linear-interpolated percentile (0..100) of already sorted values. */
export function percentileOfSorted(sorted: readonly number[], percentile: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = (percentile / 100) * (sorted.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.min(sorted.length - 1, lo + 1);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (rank - lo);
}

export function summarise(samples: readonly number[]): Summary {
  const sorted = [...samples].sort((a, b) => a - b);
  const n = sorted.length;
  const mean = n === 0 ? Number.NaN : sorted.reduce((s, v) => s + v, 0) / n;
  return {
    n,
    median: percentileOfSorted(sorted, 50),
    p95: percentileOfSorted(sorted, 95),
    mean,
    min: n === 0 ? Number.NaN : sorted[0]!,
    max: n === 0 ? Number.NaN : sorted[n - 1]!,
  };
}

/** Collects samples of one measurement, in ms. */
export class Samples {
  readonly values: number[] = [];

  add(ms: number): void {
    this.values.push(ms);
  }

  summary(): Summary {
    return summarise(this.values);
  }
}

/**
 * Runs `job` repeatedly until both `minRuns` runs and `budgetMs` of wall time are used (but
 * never more than `maxRuns`), after `warmup` unrecorded runs. Returns the recorded durations.
 */
export async function repeat(
  job: () => Promise<unknown>,
  opts: { readonly warmup: number; readonly minRuns: number; readonly maxRuns: number; readonly budgetMs: number },
): Promise<number[]> {
  for (let i = 0; i < opts.warmup; i++) await job();
  const durations: number[] = [];
  const started = performance.now();
  while (
    durations.length < opts.maxRuns &&
    (durations.length < opts.minRuns || performance.now() - started < opts.budgetMs)
  ) {
    const t = performance.now();
    await job();
    durations.push(performance.now() - t);
  }
  return durations;
}
