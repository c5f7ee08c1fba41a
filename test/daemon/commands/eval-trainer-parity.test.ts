// `maskgate eval --aligned` must reproduce the trainer's figures on the same pairs and model: the
// trainer writes its aligned crops, pair list and metrics (`export-pairs`), eval reads the same
// files. Real masked faces (MFR2) are the fixture: small (264 photos) and the set that matters.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { evalCommand, type EvalReport } from '../../../daemon/commands/eval.js';
import { runWithIo } from '../../helpers/command-io.js';
import { MFR2, REPO_ROOT } from '../../helpers/datasets.js';

/** The trainer's virtual environment (scripts/setup.sh makes it at .venv; a worktree can point elsewhere). */
const PYTHON = process.env['MASKGATE_TRAINER_PYTHON'] ?? join(REPO_ROOT, '.venv/bin/python');
const MODEL = join(REPO_ROOT, 'models/g2d/g2d.onnx');
const ready = existsSync(MFR2) && existsSync(PYTHON);
if (!ready) console.warn(`eval-trainer parity skipped: needs ${MFR2} and the trainer venv ${PYTHON}`);

interface TrainerExport {
  readonly modelId: string;
  readonly counts: { readonly mfr2: { readonly pairs: number; readonly genuine: number } };
  readonly metrics: Record<string, Record<string, number | null>>;
}

const METRICS = ['acc', 'eer', 'fmr100', 'fmr1000', 'auc'] as const;
const THRESHOLDS = ['accThreshold', 'eerThreshold', 'fmr100Threshold', 'fmr1000Threshold'] as const;

describe.skipIf(!ready)('maskgate eval --aligned reproduces the trainer on MFR2', () => {
  let dir: string;
  let exported: TrainerExport;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'mg-parity-'));
    const run = spawnSync(
      PYTHON,
      ['-m', 'maskgate_trainer', 'export-pairs', '--config', 'trainer/configs/cpu_small.yaml', '--sets', 'mfr2',
        '--limit', '120', '--onnx', MODEL, '--out', dir],
      { cwd: REPO_ROOT, encoding: 'utf8', env: { ...process.env, PYTHONPATH: join(REPO_ROOT, 'trainer/src'), OMP_NUM_THREADS: '2' } },
    );
    if (run.status !== 0) throw new Error(`export-pairs failed: ${run.stderr}`);
    exported = JSON.parse(readFileSync(join(dir, 'trainer-metrics.json'), 'utf8')) as TrainerExport;
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ dataDir: join(dir, 'data'), logLevel: 'warn' }));
  }, 300_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each(['all', 'UMR-MP'])('MFR2 %s: same pairs, same figures', async (protocol) => {
    const out = join(dir, `report-${protocol}.json`);
    const res = await runWithIo((io) =>
      evalCommand.run(
        ['--pairs', join(dir, `MFR2-${protocol}.csv`), '--aligned', '--model', MODEL, '--config', join(dir, 'config.json'), '--out', out],
        io,
      ),
    );
    expect(res.code, res.stderr).toBe(0);
    const report = JSON.parse(readFileSync(out, 'utf8')) as EvalReport & { metrics: Record<string, number | null> };
    const trainer = exported.metrics[`MFR2-${protocol}`]!;
    expect(report.alignedCrops).toBe(true);
    expect(report.modelId).toBe(exported.modelId);
    expect(report.failureToAcquire.pairs).toBe(0);
    expect([report.pairs.genuine, report.pairs.impostor]).toEqual([trainer['genuine'], trainer['impostor']]);
    if (protocol === 'all') expect(report.pairs.total).toBe(exported.counts.mfr2.pairs);
    // The same crops through two onnxruntime bindings: scores agree to float rounding, so every
    // error rate is the same count of pairs and thresholds agree to 1e-5.
    for (const key of METRICS) expect(report.metrics[key], key).toBeCloseTo(trainer[key]!, 9);
    for (const key of THRESHOLDS) {
      const want = trainer[key]!;
      if (want === null) expect(report.metrics[key], key).toBeNull();
      else expect(Math.abs(report.metrics[key] - want), key).toBeLessThanOrEqual(1e-5);
    }
  }, 120_000);

  it('refuses --mask and --quality with --aligned, and a crop that is not aligned', async () => {
    const pairs = join(dir, 'MFR2-all.csv');
    const cfg = join(dir, 'config.json');
    await expect(runWithIo((io) => evalCommand.run(['--pairs', pairs, '--aligned', '--mask', 'probe', '--config', cfg], io))).rejects.toThrow(
      /--mask and --quality do not apply/,
    );

    // A whole MFR2 photo (160x160) is not an aligned crop: an FTA with a clear code, not a crash.
    const photo = join(MFR2, readFileSync(join(MFR2, 'manifest.csv'), 'utf8').split('\n')[1]!.split(',')[0]!);
    const mixed = join(dir, 'mixed.csv');
    const first = readFileSync(pairs, 'utf8').split('\n')[1]!.split(',');
    writeFileSync(mixed, `img1,img2,label\n${join(dir, first[0]!)},${photo},1\n${join(dir, first[0]!)},${join(dir, first[1]!)},0\n`);
    const out = join(dir, 'mixed.json');
    const res = await runWithIo((io) => evalCommand.run(['--pairs', mixed, '--aligned', '--model', MODEL, '--config', cfg, '--out', out], io));
    expect(res.code, res.stderr).toBe(0);
    const report = JSON.parse(readFileSync(out, 'utf8')) as EvalReport;
    expect(report.failureToAcquire.imagesByError).toEqual({ not_aligned_crop: 1 });
    expect(report.failedImages[0]!.message).toMatch(/112x112/);
  }, 120_000);
});
