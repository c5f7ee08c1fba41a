import { describe, expect, it } from 'vitest';
import { evaluateTargets, formatReport, type BenchReport, type ReportDraft } from '../../bench/report.js';
import { percentileOfSorted, summarise } from '../../bench/stats.js';

const s = (median: number) => summarise([median * 0.9, median, median * 1.1]);

function draft(overrides: Partial<ReportDraft> = {}): ReportDraft {
  return {
    schema: 'maskgate.bench/1',
    mode: 'quick',
    startedAt: '2026-01-01T00:00:00.000Z',
    seconds: 1,
    command: 'test',
    machine: { cpuModel: 'cpu', cores: 2, totalMemoryGiB: 8, platform: 'linux', node: 'v20', onnxruntime: '1.30.0' },
    providers: { requested: ['cpu'], detector: null, embedder: null },
    sections: [{ section: 'throughput', seconds: 1, loadAverage1mStart: 3, loadAverage1mEnd: 3.5, error: null }],
    photoSource: null,
    stages: [],
    publication: null,
    throughput: [],
    embedders: [],
    reference: null,
    referenceSkipped: null,
    gallery: null,
    appliance: [],
    notes: [],
    ...overrides,
  };
}

const throughput = (fps: number, threads = 1, spinning = false) => ({
  facesPerFrame: 1, intraOpThreads: threads, allowSpinning: spinning, frames: 10, seconds: 1,
  framesPerSecond: fps, facesPerSecond: fps, msPerFrame: s(1000 / fps),
});

const search = (templates: number, method: 'js' | 'onnx' | 'onnx-batch5', ms: number) => {
  // A 5-probe call scans the gallery once for five probes.
  const scanGBps = (templates * 2048) / (method === 'onnx-batch5' ? ms * 5 : ms) / 1e6;
  return { templates, dimension: 512, method, threads: 1, probes: 3, msPerProbe: s(ms), scanGBps, ratioToCopy: scanGBps / 20, ratioToRead: scanGBps / 40, sameTopK: method === 'js' ? null : true };
};

describe('stats', () => {
  it('interpolates percentiles and summarises', () => {
    expect(percentileOfSorted([1, 2, 3, 4], 50)).toBe(2.5);
    expect(percentileOfSorted([], 50)).toBeNaN();
    const summary = summarise([5, 1, 3]);
    expect(summary).toMatchObject({ n: 3, median: 3, min: 1, max: 5, mean: 3 });
    expect(summary.p95).toBeCloseTo(4.8);
  });
});

describe('evaluateTargets', () => {
  it('marks every target as not measured when nothing ran', () => {
    const targets = evaluateTargets(draft());
    expect(targets.map((t) => t.id)).toEqual(['pipeline_fps_1face', 'embedding_vs_reference', 'search_100k', 'scan_bandwidth_ratio']);
    expect(targets.every((t) => t.met === null && t.measured === null)).toBe(true);
  });

  it('uses the default config (1 thread, no spinning) for the frame-rate target and explains a miss', () => {
    const targets = evaluateTargets(
      draft({ throughput: [throughput(20), throughput(30, 2)] }),
    );
    const fps = targets.find((t) => t.id === 'pipeline_fps_1face')!;
    expect(fps.measured).toBe(20);
    expect(fps.met).toBe(false);
    expect(fps.margin).toMatch(/missed by 13%/);
    expect(fps.why).toMatch(/load average up to 3\.5 on 2 cores/);
  });

  it('judges embedding against the reference and search against 10 ms', () => {
    const embedder = (label: string, msPerFace: number) => ({
      label, modelId: label, provider: 'cpu', parameters: null, fileMiB: 1, maxBatch: 1, batch: 1, sequential: false,
      msPerBatch: s(msPerFace), msPerFace, facesPerSecond: 1000 / msPerFace,
    });
    const targets = evaluateTargets(
      draft({
        embedders: [embedder('fr_feature', 5), embedder('reference 177M', 400)],
        gallery: {
          bandwidth: { bufferMiB: 256, copyGBps: 20, readGBps: 40, jsSumGBps: 6 },
          builds: [],
          searches: [search(100_000, 'js', 30), search(100_000, 'onnx', 12), search(100_000, 'onnx-batch5', 4)],
        },
      }),
    );
    const ratio = targets.find((t) => t.id === 'embedding_vs_reference')!;
    expect(ratio.measured).toBe(80);
    expect(ratio.met).toBe(true);
    const search100k = targets.find((t) => t.id === 'search_100k')!;
    // The batched figure is per probe of a 5-probe call; the single-probe target uses single probes.
    expect(search100k.measured).toBe(12);
    expect(search100k.met).toBe(false);
    expect(search100k.why).toMatch(/needs 20\.5 GB\/s/);
    const bandwidth = targets.find((t) => t.id === 'scan_bandwidth_ratio')!;
    expect(bandwidth.met).toBeNull();
    expect(bandwidth.measured).toBeCloseTo((100_000 * 2048) / 12 / 1e6 / 20);
  });

  it('formats a table with every target', () => {
    const d = draft({ throughput: [throughput(40)] });
    const report: BenchReport = { ...d, targets: evaluateTargets(d) };
    const text = formatReport(report);
    expect(text).toContain('Sustained pipeline throughput');
    expect(text).toMatch(/pipeline_fps_1face\s+>= 23 frames\/s\s+40\.00 frames\/s\s+MET/);
    expect(text).toContain('not measured');
  });
});
