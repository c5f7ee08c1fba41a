// A threshold is only meaningful for the model(s) it was measured on: an appliance whose
// `pad.calibration` or `matching.calibration` names other models says so at start (a site upgraded
// from one PAD model to the fused pair keeps its old threshold until it recalibrates), and stays
// quiet when they match.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino, type Logger } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { Appliance } from '../../daemon/appliance.js';
import { configFromObject, parseConfig } from '../../firmware-config/load.js';
import { warnOnStaleCalibrations } from '../../daemon/stale-calibration.js';

const calibration = (modelId: string) => ({
  method: 'upper-bound-95',
  target: 'apcer' as const,
  targetRate: 0.1,
  upperBound95: 0.09,
  expectedApcer: 0.04,
  expectedBpcer: 0.06,
  attackPresentations: 518,
  bonaFidePresentations: 320,
  modelId,
  calibratedAt: '2026-12-05T21:00:00Z',
});

function capturingLogger(): { logger: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { logger: pino({ level: 'info' }, sink), lines };
}

describe('warnOnStaleCalibrations', () => {
  const matchingCalibration = (modelId: string) => ({
    method: 'empirical',
    targetFmr: 0.001,
    galleryTemplates: 50,
    impostorComparisons: 30000,
    genuineComparisons: 200,
    expectedFnmr: 0.05,
    fmrUpperBound95: 0.0012,
    modelId,
    calibratedAt: '2026-12-05T21:00:00Z',
  });

  it('warns once per record that names other models, naming both', () => {
    const { logger, lines } = capturingLogger();
    const config = parseConfig({ matching: { calibration: matchingCalibration('fr_feature-87aacdfe') }, pad: { calibration: calibration('padnet-dd6abec6') } });
    warnOnStaleCalibrations(config, { embedder: 'g2d-27dfaead', pad: 'padnet-dd6abec6+padnet-54563176' }, logger);
    expect(lines.map((l) => [l['calibratedFor'], l['loaded']])).toEqual([
      ['fr_feature-87aacdfe', 'g2d-27dfaead'],
      ['padnet-dd6abec6', 'padnet-dd6abec6+padnet-54563176'],
    ]);
    expect(lines.every((l) => l['level'] === 40)).toBe(true);
  });

  it('says nothing when the records name the loaded models, or when nothing was calibrated', () => {
    const { logger, lines } = capturingLogger();
    const matching = parseConfig({ matching: { calibration: matchingCalibration('g2d-27dfaead') }, pad: { calibration: calibration('a+b') } });
    warnOnStaleCalibrations(matching, { embedder: 'g2d-27dfaead', pad: 'a+b' }, logger);
    warnOnStaleCalibrations(parseConfig({}), { embedder: 'g2d-27dfaead', pad: 'a+b' }, logger);
    expect(lines).toEqual([]);
  });
});

describe('PAD calibration against the loaded PAD models, in a real appliance', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  async function startupLines(padCalibration: ReturnType<typeof calibration>): Promise<{ lines: Record<string, unknown>[]; modelId: string }> {
    const dataDir = mkdtempSync(join(tmpdir(), 'mg-padcal-'));
    dirs.push(dataDir);
    const { logger, lines } = capturingLogger();
    const config = configFromObject({ dataDir, mqtt: { embeddedPort: 0 }, api: { enabled: false }, metrics: { enabled: false }, pad: { threshold: 0.6, calibration: padCalibration } });
    const appliance = await Appliance.create(config, logger);
    const modelId = appliance.core.pad.modelId;
    await appliance.stop();
    return { lines, modelId };
  }

  it('warns, naming both, when the threshold was calibrated for other PAD models', async () => {
    const { lines, modelId } = await startupLines(calibration('padnet-dd6abec6'));
    expect(modelId).toMatch(/^padnet-[0-9a-f]{8}\+padnet-[0-9a-f]{8}$/);
    const warning = lines.find((l) => typeof l['msg'] === 'string' && /calibrated for other PAD models/.test(l['msg']));
    expect(warning).toMatchObject({ calibratedFor: 'padnet-dd6abec6', loaded: modelId });
  }, 60_000);

  it('is quiet when the calibration names the loaded models', async () => {
    const first = await startupLines(calibration('padnet-dd6abec6'));
    const { lines } = await startupLines(calibration(first.modelId));
    expect(lines.some((l) => /calibrated for other PAD models/.test(String(l['msg'])))).toBe(false);
    expect(lines.find((l) => l['msg'] === 'models loaded')).toMatchObject({ padModelId: first.modelId });
  }, 60_000);
});
