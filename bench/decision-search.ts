// The decision path's search at campus scale (docs/campus.md, docs/performance.md): per-probe
// latency of the exact float32 scan on onnxruntime in a worker thread, of the coded scan (int8
// codes of every row, the best candidates re-ranked in float32, answering only when it can prove
// the exact scan's answer; GalleryMatcher.searchCoded) with how often it has to fall back to the
// exact scan, and of the HNSW index with the exact float32 re-rank (pipeline/ann-search.ts)
// per quantisation of the index's copy; the longest the event loop was blocked meanwhile
// (monitorEventLoopDelay, 1 ms resolution), also while the index builds; build time and memory;
// and, per probe, whether the answer is the exact scan's: genuine probes (a masked-like view of an
// enrolled person) and impostor probes (nobody enrolled), counted apart in identity and in the
// grant decision at the threshold, and how many the exact scan would answer with
// search.confirmDenials (the index's answer under the threshold).
//
//   nice -n 10 node dist/bench/decision-search.js [--sizes 100000,1000000] [--probes 20]
//     [--quantizations f32,f16,i8] [--exact-probes 10] [--threshold 0.35]
//     [--connectivity 16] [--expansion-add 128] [--expansion-search 128] [--candidates 64] [--build-threads 1]
//     [--coded-candidates 32] [--coded-threads 1,2] [--pin on,off] [--gap-ms 5]
//
// --pin: the coded scan's threads each on a CPU of its own, as the appliance starts them
// (search.pinCodedThreads, pipeline/coded-scan-threads.ts), or left to the scheduler; both by default.
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import type { AnnQuantization } from '../pipeline/ann-index-worker.js';
import { AnnSearch, type AnnSearchEvent } from '../pipeline/ann-search.js';
import { startCodedScanThreads } from '../pipeline/coded-scan-threads.js';
import { WorkerGalleryScanner } from '../pipeline/gallery-scan-worker.js';
import { GalleryMatcher, type Match } from '../pipeline/matcher.js';
import { clusteredGallery, nearby, PROBE_SPREAD, randomProbes, Xorshift32 } from './sections/gallery-data.js';
import { summarise } from './stats.js';

const DIMENSION = 512;
const MIB = 2 ** 20;

interface Agreement {
  /** Genuine probes whose top-1 person is the exact scan's. */
  genuineSame: number;
  impostorSameIdentity: number;
  /** Impostor probes whose grant decision (top-1 score ≥ threshold) is the exact scan's. */
  impostorSameDecision: number;
  /** Probes whose index answer was under the threshold: with search.confirmDenials the exact scan answers them. */
  confirmedByExactScan: number;
  /** Probes whose top-1 person differs from the exact scan's even with that confirmation. */
  differentWithConfirmation: number;
}

function loopMonitor(): { histogram: IntervalHistogram; maxMs: () => number } {
  const histogram = monitorEventLoopDelay({ resolution: 1 });
  histogram.enable();
  // The histogram records how late each 1 ms timer fired: the longest the loop was held.
  return { histogram, maxMs: () => (histogram.disable(), histogram.max / 1e6) };
}

async function timeProbes(probes: readonly Float32Array[], gapMs: number, run: (probe: Float32Array) => Promise<Match | undefined>) {
  const first = performance.now();
  await run(probes[0]!); // warm-up (the coded scan's helpers receive their blocks here)
  const firstMs = performance.now() - first;
  const loop = loopMonitor();
  const times: number[] = [];
  const top1: (Match | undefined)[] = [];
  for (const probe of probes) {
    const t = performance.now();
    top1.push(await run(probe));
    times.push(performance.now() - t);
    // Let the loop turn between probes, as between door decisions, so the histogram sees each
    // block. The gap matters on a virtual machine: a core idle for a few ms is slow to wake, and
    // a helper thread woken meanwhile may run on the busy core instead (docs/performance.md).
    await new Promise((r) => setTimeout(r, gapMs));
  }
  const s = summarise(times);
  return { top1, firstMs: round(firstMs), medianMs: round(s.median), p95Ms: round(s.p95), maxEventLoopBlockMs: round(loop.maxMs()) };
}

function agreement(found: readonly (Match | undefined)[], exact: readonly (Match | undefined)[], genuine: number, threshold: number): Agreement {
  const a = { genuineSame: 0, impostorSameIdentity: 0, impostorSameDecision: 0, confirmedByExactScan: 0, differentWithConfirmation: 0 };
  found.forEach((m, i) => {
    const sameIdentity = m?.personId === exact[i]?.personId;
    const confirmed = (m?.score ?? -1) < threshold;
    a.confirmedByExactScan += confirmed ? 1 : 0;
    a.differentWithConfirmation += confirmed || sameIdentity ? 0 : 1;
    if (i < genuine) a.genuineSame += sameIdentity ? 1 : 0;
    else {
      a.impostorSameIdentity += sameIdentity ? 1 : 0;
      a.impostorSameDecision += ((m?.score ?? -1) >= threshold) === ((exact[i]?.score ?? -1) >= threshold) ? 1 : 0;
    }
  });
  return a;
}

const round = (x: number): number => Math.round(x * 100) / 100;
const rssMiB = (): number => Math.round(process.memoryUsage().rss / MIB);

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      sizes: { type: 'string', default: '100000,1000000' },
      probes: { type: 'string', default: '20' },
      'exact-probes': { type: 'string', default: '10' },
      quantizations: { type: 'string', default: 'f32,f16,i8' },
      threshold: { type: 'string', default: '0.35' },
      connectivity: { type: 'string', default: '16' },
      'expansion-add': { type: 'string', default: '128' },
      'expansion-search': { type: 'string', default: '128' },
      candidates: { type: 'string', default: '64' },
      'build-threads': { type: 'string', default: '1' },
      'coded-candidates': { type: 'string', default: '32' },
      'coded-threads': { type: 'string', default: '1,2' },
      pin: { type: 'string', default: 'on,off' },
      'gap-ms': { type: 'string', default: '5' },
    },
  });
  const gapMs = Number(values['gap-ms']);
  const n = Number(values.probes);
  const threshold = Number(values.threshold);
  const rows: object[] = [];
  // Each row also goes to stderr as it completes: a million-template build takes the better part
  // of an hour here, and a run stopped early should still leave what it measured.
  const record = (row: object): void => {
    rows.push(row);
    process.stderr.write(`${JSON.stringify(row)}\n`);
  };
  const scanner = WorkerGalleryScanner.create();
  for (const templates of values.sizes.split(',').map(Number)) {
    const matcher = new GalleryMatcher({ modelId: 'bench', dimension: DIMENSION, initialCapacity: templates, sharedRows: true, codedRows: true });
    const rss0 = rssMiB();
    const centres = clusteredGallery(matcher, templates, templates, n);
    const galleryMiB = rssMiB() - rss0;
    const rng = new Xorshift32(17);
    const probes = [...centres.map((c) => nearby(c, PROBE_SPREAD, rng)), ...randomProbes(DIMENSION, n, 11)];
    // The reference: the exact float32 scan, several probes per pass over the gallery.
    const exact: (Match | undefined)[] = [];
    for (let i = 0; i < probes.length; i += 10) exact.push(...(await matcher.searchBatch(probes.slice(i, i + 10), 1, scanner)).map((m) => m[0]));
    const exactRun = await timeProbes(probes.slice(0, Number(values['exact-probes'])), gapMs, async (p) => (await matcher.searchBatch([p], 1, scanner))[0]![0]);
    const { top1: _exactTop1, ...exactTimes } = exactRun;
    record({ templates, method: 'exact scan, onnxruntime worker', galleryMiB, ...exactTimes });
    const layouts = values['coded-threads'].split(',').map(Number).flatMap((threads) =>
      threads === 1 ? [{ threads, pin: false }] : values.pin.split(',').map((pin) => ({ threads, pin: pin === 'on' })),
    );
    for (const { threads, pin } of layouts) {
      const { helpers, scanHere, helperCpus, notPinned } = await startCodedScanThreads(threads, { pin });
      const options = { candidates: Number(values['coded-candidates']), helpers, scanHere };
      const run = await timeProbes(probes, gapMs, async (p) => {
        const found = await matcher.searchCoded(p, 1, options);
        return found ? found[0] : (await matcher.searchBatch([p], 1, scanner))[0]![0];
      });
      const { top1, ...times } = run;
      let fellBack = 0;
      for (const p of probes) fellBack += (await matcher.searchCoded(p, 1, options)) === null ? 1 : 0;
      await Promise.all(helpers.map((helper) => helper.close()));
      const a = agreement(top1, exact, n, threshold);
      record({
        templates,
        method: `coded scan, int8 + float32 re-rank, ${threads} thread(s)`,
        helperCpus: helperCpus?.join(',') ?? (pin ? `not pinned: ${notPinned}` : 'not pinned'),
        eventLoopThreadScans: scanHere,
        candidatesPerBlock: options.candidates,
        ...times,
        // Probes the coded scan could not prove: the exact scan answered them (in the times above).
        exactScanFallbacks: fellBack,
        genuineSame: a.genuineSame,
        impostorSameIdentity: a.impostorSameIdentity,
        genuineProbes: n,
        impostorProbes: n,
      });
    }
    for (const quantization of values.quantizations.split(',').filter(Boolean) as AnnQuantization[]) {
      const rssBefore = rssMiB();
      let built: (event: AnnSearchEvent) => void = () => {};
      const ready = new Promise<AnnSearchEvent>((resolve) => (built = resolve));
      const index = new AnnSearch(
        {
          connectivity: Number(values.connectivity),
          expansionAdd: Number(values['expansion-add']),
          expansionSearch: Number(values['expansion-search']),
          candidates: Number(values.candidates),
          quantization,
          addThreads: Number(values['build-threads']),
        },
        (event) => event.state !== 'building' && built(event),
      );
      const buildLoop = loopMonitor();
      index.attach(matcher);
      const event = await ready;
      const buildLoopBlockMs = round(buildLoop.maxMs());
      if (event.state !== 'ready') throw new Error(`index build failed: ${event.error}`);
      const indexMiB = rssMiB() - rssBefore;
      const run = await timeProbes(probes, gapMs, async (p) => (await index.search(p, 1))?.[0]);
      const { top1, ...times } = run;
      record({
        templates,
        method: `HNSW ${quantization} + float32 re-rank`,
        buildS: round((event.buildMs ?? 0) / 1000),
        buildLoopBlockMs,
        indexMiB,
        ...times,
        genuineProbes: n,
        impostorProbes: n,
        ...agreement(top1, exact, n, threshold),
      });
      await index.close();
    }
  }
  await scanner.close();
  process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench decision-search: ${(err as Error).message}\n`);
  process.exitCode = 1;
});
