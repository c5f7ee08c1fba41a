import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildReport, evalCommand, formatReport, scorePairs, writePlots, type EvalReport } from '../../../daemon/commands/eval.js';
import { readIdentities } from '../../../daemon/commands/make-pairs.js';
import { FTA_SCORE } from '../../../field-tools/metrics.js';
import { formatPairsCsv, samplePairs } from '../../../field-tools/pairs.js';
import { parseConfig as defaultConfig } from '../../../firmware-config/load.js';
import { runWithIo } from '../../helpers/command-io.js';
import { LFW } from '../../helpers/datasets.js';

const DEFAULT_THRESHOLD = defaultConfig({}).matching.threshold;

const ROOT = join(import.meta.dirname, '../../..');
const ASSETS = join(ROOT, 'demo-assets');

interface VectorCase {
  readonly name: string;
  readonly scores: number[];
  readonly labels: (0 | 1)[];
  readonly expected: Record<string, number | null>;
}
const { cases } = JSON.parse(readFileSync(join(ROOT, 'test/vectors/metrics/verification_metrics.json'), 'utf8')) as { cases: VectorCase[] };

let dir: string;
let configPath: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'mg-eval-'));
  configPath = join(dir, 'config.json');
  writeFileSync(
    configPath,
    JSON.stringify({
      dataDir: join(dir, 'data'),
      logLevel: 'warn',
      model: { detector: join(ROOT, 'models/blazeface/blazeface_back_256.onnx'), embedder: join(ROOT, 'models/fr_feature/fr_feature.onnx') },
    }),
  );
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const runEval = (args: string[]) => runWithIo((io) => evalCommand.run(args, io));

async function expectPng(path: string): Promise<void> {
  expect(existsSync(path)).toBe(true);
  const meta = await sharp(path).metadata();
  expect([meta.format, meta.width, meta.height]).toEqual(['png', 640, 480]);
  const stats = await sharp(path).stats();
  expect(stats.isOpaque).toBe(true);
  expect(stats.channels[0]!.min).toBeLessThan(100); // something was drawn on the white page
}

describe('eval report', () => {
  it.each(cases)('reproduces the shared metric vector $name', (c) => {
    const report = buildReport(c.scores, c.labels, { modelId: 'vectors', pairsFile: null, mask: 'none' });
    for (const [key, want] of Object.entries(c.expected)) {
      const value = (report.metrics as unknown as Record<string, number | null>)[key];
      if (want === null) expect(value, key).toBe(Number.POSITIVE_INFINITY);
      else expect(Math.abs(value! - want), key).toBeLessThanOrEqual(1e-9);
    }
    expect(report.metrics.tarAtFmr1e3).toBeCloseTo(1 - c.expected['fmr1000']!, 12);
    expect(report.failureToAcquire.pairs).toBe(0);
    // In JSON, +Infinity thresholds become null, as in the vector file.
    const json = JSON.parse(JSON.stringify(report)) as { metrics: Record<string, unknown> };
    expect(json.metrics['fmr100Threshold']).toBe(c.expected['fmr100Threshold']);
  });

  it('draws the ROC curve and the score histograms as PNG', async () => {
    const c = cases.find((v) => v.name === 'seeded_gaussian_3300')!;
    const report = buildReport(c.scores, c.labels, { modelId: 'vectors', pairsFile: null, mask: 'none' });
    const plots = await writePlots(join(dir, 'plots'), c.scores, c.labels, report);
    await expectPng(plots.roc);
    await expectPng(plots.histogram);
  });

  it('scores a pair with a failure to acquire as a non-match and reports it', () => {
    const e = (v: number): Float32Array => Float32Array.from([v, Math.sqrt(1 - v * v)]);
    const pairs = [
      { img1: 'a', img2: 'b', label: 1 as const },
      { img1: 'a', img2: 'x', label: 1 as const },
      { img1: 'a', img2: 'c', label: 0 as const },
      { img1: 'x', img2: 'c', label: 0 as const },
    ];
    const emb: Record<string, Float32Array | null> = { a: e(1), b: e(0.8), c: e(0.1), x: null };
    const scores = scorePairs(pairs, (p, side) => emb[p[side]]!);
    expect(scores[1]).toBe(FTA_SCORE);
    expect(scores[3]).toBe(FTA_SCORE);
    const report: EvalReport = buildReport(scores, pairs.map((p) => p.label), { modelId: 'm', pairsFile: null, mask: 'probe' });
    expect(report.failureToAcquire).toMatchObject({ pairs: 2, rate: 0.5, genuinePairs: 1, impostorPairs: 1 });
    expect(report.metrics.fmr100AchievedFnmr).toBe(0.5); // the genuine FTA is a false non-match
    expect(report.acquiredOnly!.fmr100AchievedFnmr).toBe(0);
    expect(report.atConfiguredThreshold).toBeNull();
    const at = buildReport(scores, pairs.map((p) => p.label), { modelId: 'm', pairsFile: null, mask: 'probe', threshold: 0.5 });
    // Genuine: 0.8 matches, the FTA does not; impostor: 0.1 and the FTA do not match.
    expect(at.atConfiguredThreshold).toMatchObject({ threshold: 0.5, falseMatches: 0, fmr: 0, falseNonMatches: 1, fnmr: 0.5 });
    expect(at.atConfiguredThreshold!.fmrUpperBound95).toBeCloseTo(1 - 0.05 ** (1 / 2), 12);
    expect(formatReport(at)).toMatch(/at the configured threshold 0\.5000: FMR 0\.0000 \(0\/2; 95% upper bound 0\.7764\), FNMR 0\.5000/);
    const table = formatReport(report);
    expect(table).toMatch(/FTA\s+2 pairs \(1 genuine, 1 impostor\) counted as non-matches/);
    expect(table).toMatch(/protocol\s+UMR-MP/);
  });
});

describe('maskgate eval on photos', () => {
  it('embeds each image once, reports missing images as FTA and writes report and plots', async () => {
    const csv = join(dir, 'demo-pairs.csv');
    writeFileSync(
      csv,
      ['img1,img2,label', 'sample1.jpg,sample1.jpg,1', 'sample3.jpg,sample3.jpg,1', 'sample1.jpg,missing.jpg,1', 'sample1.jpg,sample3.jpg,0', 'sample4.jpg,sample5.jpg,0'].join('\n'),
    );
    const out = join(dir, 'demo-report.json');
    const { code, stdout, stderr } = await runEval(['--pairs', csv, '--root', ASSETS, '--config', configPath, '--out', out, '--plots', join(dir, 'demo-plots')]);
    expect(code).toBe(0);
    expect(stderr).toMatch(/5 pairs, 5 distinct images to embed/);
    expect(stdout).toMatch(/ACC \(best threshold\)/);
    const report = JSON.parse(readFileSync(out, 'utf8')) as EvalReport;
    expect(report.pairs).toEqual({ total: 5, genuine: 3, impostor: 2 });
    expect(report.failureToAcquire).toMatchObject({ pairs: 1, genuinePairs: 1, impostorPairs: 0, imagesByError: { image_missing: 1 } });
    expect(report.failedImages).toEqual([expect.objectContaining({ path: join(ASSETS, 'missing.jpg'), error: 'image_missing', masked: false })]);
    // Same photo on both sides scores ~1; different people far lower.
    expect(report.metrics.acc).toBeGreaterThanOrEqual(0.8);
    expect(report.metrics.fmr100AchievedFnmr).toBeCloseTo(1 / 3, 12);
    expect(report.atConfiguredThreshold!.threshold).toBe(DEFAULT_THRESHOLD); // the config's default threshold
    expect(stdout).toMatch(new RegExp(`at the configured threshold ${DEFAULT_THRESHOLD.toFixed(4)}`));
    await expectPng(report.plots!.roc);
    await expectPng(report.plots!.histogram);
    // Acquisition: by reason and by condition (the folder under --root), with the quality curves.
    expect(report.quality).toBe('photo');
    expect(report.acquisition!.overall).toMatchObject({ images: 5, failed: 1, byReason: { image_missing: 1 } });
    expect(report.acquisition!.byCondition['.']).toMatchObject({ images: 5, failed: 1 });
    expect(stdout).toMatch(/failure to acquire, images \(quality profile photo\): 1\/5 \(20\.00%\) — image_missing 1/);
    expect(report.qualityCurves!.map((c) => c.measure)).toEqual(['score', 'interEyePx', 'sharpness', 'absYawDeg', 'outOfFrame']);
    // Two acquired genuine comparisons (sample1 and sample3 with themselves): nothing missed.
    expect(report.qualityCurves![0]!.errorVersusReject[0]).toMatchObject({ rejected: 0, fnmr: 0 });
    expect(report.qualityCurves![0]!.bins.reduce((n, b) => n + b.comparisons, 0)).toBe(2);
    await expectPng(report.plots!.errorReject!);
  });

  describe.skipIf(!existsSync(LFW))('on LFW development pairs', () => {
    it('runs the UMR-MP protocol (probe masked) and separates genuine from impostor pairs', async () => {
      // 40 people (sorted, so the run is reproducible), 12 genuine and 12 impostor pairs.
      const identities = readIdentities(LFW).filter((i) => i.images.length >= 2).slice(0, 40);
      const pairs = samplePairs(identities, { genuine: 12, impostor: 12, seed: 11 });
      const csv = join(dir, 'lfw-pairs.csv');
      writeFileSync(csv, formatPairsCsv(pairs));
      const out = join(dir, 'lfw-report.json');
      const { code, stdout } = await runEval(['--pairs', csv, '--root', LFW, '--mask', 'probe', '--config', configPath, '--out', out, '--batch', '6']);
      expect(code).toBe(0);
      expect(stdout).toMatch(/UMR-MP/);
      const report = JSON.parse(readFileSync(out, 'utf8')) as EvalReport;
      expect(report.pairs).toEqual({ total: 24, genuine: 12, impostor: 12 });
      expect(report.mask).toBe('probe');
      // FTAs are counted, never dropped: every failed image shows up in the failure list.
      const failedImages = Object.values(report.failureToAcquire.imagesByError).reduce((a, b) => a + b, 0);
      expect(report.failedImages).toHaveLength(failedImages);
      expect(report.failureToAcquire.pairs).toBeLessThanOrEqual(12);
      // Acquired masked pairs separate well with the default model.
      expect(report.acquiredOnly!.auc).toBeGreaterThan(0.9);
    });
  });
});
