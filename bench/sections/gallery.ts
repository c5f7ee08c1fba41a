// 1:N search time per probe for growing galleries, with GalleryMatcher's JavaScript scan and
// its batched scan on onnxruntime, and the bytes scanned per second against what this machine
// can copy: a brute-force scan cannot beat memory bandwidth.
import { OnnxGalleryScanner } from '../../pipeline/gallery-scanner.js';
import { GalleryMatcher, type Match } from '../../pipeline/matcher.js';
import type { BenchContext } from '../context.js';
import type { GallerySearchResult, GalleryReport, MemoryBandwidth, SearchMethod } from '../report.js';
import { summarise } from '../stats.js';
import { randomGallery, randomProbes } from './gallery-data.js';

export const DIMENSION = 512;
const K = 5;
const BATCH = 5;
const BANDWIDTH_BUFFER_MIB = 256;
/** Top-k lists that differ only between scores closer than this are float rounding, not a different answer. */
const SCORE_TOLERANCE = 1e-5;

/**
 * On a buffer far larger than the caches: Float32Array.set (a copy), Buffer.indexOf over zeros
 * (libc memchr: reading at full speed), and a plain JavaScript sum loop.
 */
export function measureBandwidth(bufferMiB = BANDWIDTH_BUFFER_MIB, runs = 5): MemoryBandwidth {
  const values = (bufferMiB * 2 ** 20) / 4;
  const source = new Float32Array(values).fill(1);
  const target = new Float32Array(values);
  // Written, not just allocated: untouched pages would all map the kernel's one zero page.
  const zeros = Buffer.allocUnsafe(values * 4).fill(0);
  const copies: number[] = [];
  const reads: number[] = [];
  const sums: number[] = [];
  let sink = 0;
  for (let r = 0; r < runs + 1; r++) {
    const t0 = performance.now();
    target.set(source);
    const t1 = performance.now();
    sink += zeros.indexOf(1); // -1: every byte was read
    const tRead = performance.now();
    let a = 0;
    let b = 0;
    let c = 0;
    let d = 0;
    for (let i = 0; i < values; i += 4) {
      a += source[i]!;
      b += source[i + 1]!;
      c += source[i + 2]!;
      d += source[i + 3]!;
    }
    sink += a + b + c + d + target[r]!;
    const t2 = performance.now();
    if (r === 0) continue; // first touch pays the page faults
    copies.push(t1 - t0);
    reads.push(tRead - t1);
    sums.push(t2 - tRead);
  }
  if (sink === 0) throw new Error('unreachable'); // keeps the loops from being optimised away
  const bytes = values * 4;
  return {
    bufferMiB,
    copyGBps: bytes / summarise(copies).median / 1e6,
    readGBps: bytes / summarise(reads).median / 1e6,
    jsSumGBps: bytes / summarise(sums).median / 1e6,
  };
}

/** Same people in the same order, allowing swaps between scores that differ only by rounding. */
export function sameTopK(a: readonly Match[], b: readonly Match[]): boolean {
  if (a.length !== b.length) return false;
  return a.every((m, i) => m.personId === b[i]!.personId || Math.abs(m.score - b[i]!.score) < SCORE_TOLERANCE);
}

async function timeEach<T>(items: readonly T[], job: (item: T) => unknown): Promise<number[]> {
  await job(items[0]!); // warm-up
  const durations: number[] = [];
  for (const item of items) {
    const t = performance.now();
    await job(item);
    durations.push(performance.now() - t);
  }
  return durations;
}

export async function measureGallery(ctx: BenchContext): Promise<GalleryReport> {
  ctx.progress('  memory bandwidth');
  const bandwidth = measureBandwidth(ctx.plan.bandwidthBufferMiB);
  const scanners = new Map<number, OnnxGalleryScanner>();
  const scanner = async (threads: number): Promise<OnnxGalleryScanner> => {
    let s = scanners.get(threads);
    if (!s) scanners.set(threads, (s = await OnnxGalleryScanner.create({ intraOpThreads: threads })));
    return s;
  };
  const builds: GalleryReport['builds'][number][] = [];
  const searches: GallerySearchResult[] = [];
  try {
    for (const templates of ctx.plan.gallerySizes) {
      ctx.progress(`  ${templates.toLocaleString('en')} templates: building`);
      const started = performance.now();
      // Pre-sized, rows added one by one: no second copy of a gallery that may be gigabytes.
      const m = new GalleryMatcher({ modelId: 'bench', dimension: DIMENSION, initialCapacity: templates });
      randomGallery(m, templates, templates);
      builds.push({ templates, seconds: (performance.now() - started) / 1000, rssMiB: process.memoryUsage().rss / 2 ** 20 });
      const probeCount = templates >= 1_000_000 ? Math.min(5, ctx.plan.galleryProbes) : ctx.plan.galleryProbes;
      const probes = randomProbes(DIMENSION, probeCount, 7);
      const bytes = templates * DIMENSION * 4;
      const result = (method: SearchMethod, threads: number, perProbe: number[], bytesPerTiming: number, same: boolean | null): void => {
        const msPerProbe = summarise(perProbe);
        const timingMs = method === 'onnx-batch5' ? msPerProbe.median * BATCH : msPerProbe.median;
        const scanGBps = bytesPerTiming / timingMs / 1e6;
        searches.push({
          templates, dimension: DIMENSION, method, threads, probes: perProbe.length, msPerProbe, scanGBps,
          ratioToCopy: scanGBps / bandwidth.copyGBps, ratioToRead: scanGBps / bandwidth.readGBps, sameTopK: same,
        });
      };

      ctx.progress(`  ${templates.toLocaleString('en')} templates: searching`);
      const exact = probes.map((p) => m.search(p, K));
      result('js', 1, await timeEach(probes, (p) => m.search(p, K)), bytes, null);
      for (const threads of templates >= 100_000 ? [1, 2] : [1]) {
        const s = await scanner(threads);
        let agree = true;
        const perProbe = await timeEach(probes, async (p) => {
          const [found] = await m.searchBatch([p], K, s);
          if (!sameTopK(found!, exact[probes.indexOf(p)]!)) agree = false;
        });
        result('onnx', threads, perProbe, bytes, agree);
      }
      const s1 = await scanner(1);
      const groups = Array.from({ length: Math.max(1, Math.floor(probes.length / BATCH)) }, (_, g) => probes.slice(g * BATCH, g * BATCH + BATCH));
      let agree = true;
      const perCall = await timeEach(groups, async (group) => {
        const found = await m.searchBatch(group, K, s1);
        found.forEach((f, i) => {
          if (!sameTopK(f, exact[probes.indexOf(group[i]!)]!)) agree = false;
        });
      });
      result('onnx-batch5', 1, perCall.map((t) => t / BATCH), bytes, agree);
    }
  } finally {
    for (const s of scanners.values()) await s.close();
  }
  return { bandwidth, builds, searches };
}
