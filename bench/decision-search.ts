// The decision path's search at campus scale (docs/campus.md): per-probe latency of
// Gallery.searchForDecision's scan on onnxruntime in a worker thread (GalleryMatcher.searchBatch
// with one probe, as a door decision issues it) against the synchronous JavaScript scan, the longest
// the event loop was blocked meanwhile (monitorEventLoopDelay, 1 ms resolution), and whether the
// top-1 answer is the exact float32 scan's on every probe.
//
//   nice -n 10 node dist/bench/decision-search.js [--sizes 100000,1000000] [--probes 20] [--threads 1,2]
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { WorkerGalleryScanner } from '../pipeline/gallery-scan-worker.js';
import { GalleryMatcher } from '../pipeline/matcher.js';
import { randomGallery, randomProbes } from './sections/gallery-data.js';
import { summarise } from './stats.js';

const DIMENSION = 512;

interface Row {
  templates: number;
  method: string;
  medianMs: number;
  p95Ms: number;
  maxEventLoopBlockMs: number;
  top1SameAsExact: boolean;
}

async function measure(probes: Float32Array[], run: (probe: Float32Array) => Promise<string | undefined> | string | undefined, exact: (string | undefined)[]) {
  await run(probes[0]!); // warm-up
  const histogram = monitorEventLoopDelay({ resolution: 1 });
  histogram.enable();
  const times: number[] = [];
  let same = true;
  for (const [i, probe] of probes.entries()) {
    const t = performance.now();
    const top1 = await run(probe);
    times.push(performance.now() - t);
    if (top1 !== exact[i]) same = false;
    // Let the loop turn between probes, as between door decisions, so the histogram sees each block.
    await new Promise((r) => setTimeout(r, 5));
  }
  histogram.disable();
  const s = summarise(times);
  // The histogram records how late each 1 ms timer fired: the longest the loop was held.
  return { medianMs: s.median, p95Ms: s.p95, maxEventLoopBlockMs: histogram.max / 1e6, top1SameAsExact: same };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { sizes: { type: 'string', default: '100000,1000000' }, probes: { type: 'string', default: '20' }, threads: { type: 'string', default: '1,2' } },
  });
  const rows: Row[] = [];
  const scanners = new Map<string, WorkerGalleryScanner>();
  for (const threads of values.threads.split(',').map(Number)) scanners.set(`onnx-worker-${threads}t`, WorkerGalleryScanner.create({ intraOpThreads: threads }));
  for (const templates of values.sizes.split(',').map(Number)) {
    const matcher = new GalleryMatcher({ modelId: 'bench', dimension: DIMENSION, initialCapacity: templates, sharedRows: true });
    randomGallery(matcher, templates, templates);
    const probes = randomProbes(DIMENSION, Number(values.probes), 11);
    const exact = probes.map((p) => matcher.search(p, 1)[0]?.personId);
    rows.push({ templates, method: 'js-sync', ...(await measure(probes, (p) => matcher.search(p, 1)[0]?.personId, exact)) });
    for (const [method, scanner] of scanners) {
      const result = await measure(probes, async (p) => (await matcher.searchBatch([p], 1, scanner))[0]![0]?.personId, exact);
      rows.push({ templates, method, ...result });
    }
    process.stderr.write(`${templates} templates done\n`);
  }
  for (const s of scanners.values()) await s.close();
  process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench decision-search: ${(err as Error).message}\n`);
  process.exitCode = 1;
});
