import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { BenchUsageError, defaultPlan, planFromArgs, type BenchPlan } from '../../bench/plan.js';
import { PACKAGE_ROOT } from '../../firmware-config/package-root.js';
import type { BenchReport } from '../../bench/report.js';
import { runBench, runBenchCli } from '../../bench/run.js';

function collect(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (c: Buffer) => (text += c.toString()));
  return { stream, text: () => text };
}

describe('planFromArgs', () => {
  const root = PACKAGE_ROOT;

  it('picks the quick preset and applies overrides', () => {
    const plan = planFromArgs(['--quick', '--only', 'gallery,stages', '--gallery-sizes', '10,20'], root);
    expect(plan.mode).toBe('quick');
    expect(plan.sections).toEqual(['gallery', 'stages']);
    expect(plan.gallerySizes).toEqual([10, 20]);
    expect(planFromArgs([], root).gallerySizes).toContain(1_000_000);
    expect(planFromArgs(['--skip', 'reference'], root).sections).not.toContain('reference');
    expect(planFromArgs(['--providers', 'cuda,cpu'], root).executionProviders).toEqual(['cuda', 'cpu']);
  });

  it('rejects unknown options, sections and sizes with a usage error', () => {
    expect(() => planFromArgs(['--fast'], root)).toThrow(BenchUsageError);
    expect(() => planFromArgs(['--only', 'gpu'], root)).toThrow(/unknown section "gpu"/);
    expect(() => planFromArgs(['--gallery-sizes', '0,abc'], root)).toThrow(/--gallery-sizes/);
    expect(() => planFromArgs(['--providers', 'gpu,cpu'], root)).toThrow(/--providers: unknown provider gpu/);
  });

  it('answers a bad command line with exit code 2', async () => {
    const out = collect();
    const err = collect();
    expect(await runBenchCli(['--only', 'nothing'], { stdout: out.stream, stderr: err.stream })).toBe(2);
    expect(err.text()).toMatch(/unknown section/);
  });
});

// A one-second run of the cheap sections with tiny sizes: the report must come out complete.
// It asserts the report's shape, never a timing.
describe('runBench smoke run', () => {
  const dir = mkdtempSync(join(tmpdir(), 'maskgate-bench-test-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('measures, judges the targets and writes the JSON report', async () => {
    const base = defaultPlan('quick');
    const plan: BenchPlan = {
      ...base,
      sections: ['stages', 'throughput', 'embedders', 'gallery'],
      // The teacher: its fixed batch of 1 exercises the sequential path.
      embedders: base.embedders.filter((e) => e.label.startsWith('fr_feature')),
      outPath: join(dir, 'report.json'),
      lfwDir: null,
      stageFrames: 2,
      publishMessages: 3,
      throughputSeconds: 0.2,
      throughputConfigs: [{ intraOpThreads: 1, allowSpinning: false }],
      embedderBatches: [1, 2],
      embedderBudgetMs: 0,
      gallerySizes: [50, 300],
      galleryProbes: 5,
      bandwidthBufferMiB: 4,
    };
    const out = collect();
    const err = collect();
    const { report, path } = await runBench(plan, { stdout: out.stream, stderr: err.stream }, 'test');

    expect(path).toBe(plan.outPath);
    expect(existsSync(path)).toBe(true);
    const written = JSON.parse(readFileSync(path, 'utf8')) as BenchReport;
    expect(written.schema).toBe('maskgate.bench/1');
    expect(written.sections.map((s) => [s.section, s.error])).toEqual([
      ['stages', null],
      ['throughput', null],
      ['embedders', null],
      ['gallery', null],
    ]);
    expect(written.photoSource).toBe('demo-assets/');
    expect(written.providers).toEqual({ requested: ['cpu'], detector: 'cpu', embedder: 'cpu' });
    expect(written.stages.map((s) => s.facesPerFrame)).toEqual([1, 5]);
    expect(written.stages[1]!.facesDetected).toBe(5);
    expect(written.publication?.messages).toBe(3);
    expect(written.throughput.map((t) => t.facesPerFrame)).toEqual([1, 5]);
    expect(written.embedders.map((e) => [e.batch, e.sequential])).toEqual([[1, false], [2, true]]);
    expect(written.gallery?.searches.filter((s) => s.method !== 'js').every((s) => s.sameTopK === true)).toBe(true);
    expect(written.targets.find((t) => t.id === 'pipeline_fps_1face')?.measured).toBeGreaterThan(0);
    expect(written.targets.find((t) => t.id === 'search_100k')?.met).toBeNull(); // no 100k gallery in this run
    expect(written).toEqual(JSON.parse(JSON.stringify(report)));
    expect(out.text()).toContain('Targets');
    expect(out.text()).toContain(`report written to ${path}`);
  });
});
