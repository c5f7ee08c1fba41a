// How a camera's decision settings come out of the site, door and camera thresholds.
import { describe, expect, it } from 'vitest';
import { decisionSettings, doorMatching } from '../../daemon/camera-worker.js';
import { parseConfig } from '../../firmware-config/load.js';

const calibration = {
  method: 'empirical',
  targetFmr: 0.001,
  galleryTemplates: 40,
  impostorComparisons: 5000,
  genuineComparisons: 40,
  expectedFnmr: 0.05,
  fmrUpperBound95: 0.0012,
  modelId: 'm',
  calibratedAt: '2026-12-05T00:00:00.000Z',
};

function settingsFor(cameraId: string, overrides: Record<string, unknown>) {
  const config = parseConfig({
    matching: { threshold: 0.35, thresholds: { masked: 0.31, unmasked: 0.4 }, calibration },
    cameras: [
      { id: 'plain', url: '/dev/video0', doorId: 'front' },
      { id: 'own', url: '/dev/video1', doorId: 'front', threshold: 0.5 },
    ],
    ...overrides,
  });
  const camera = config.cameras.find((c) => c.id === cameraId)!;
  return decisionSettings(doorMatching(config.matching, config.doors.find((d) => d.id === camera.doorId)), camera);
}

describe('per-condition thresholds in a camera\'s decision settings', () => {
  it('takes the site\'s per-condition thresholds and calibration target where nothing overrides them', () => {
    expect(settingsFor('plain', {})).toMatchObject({ threshold: 0.35, thresholds: { masked: 0.31, unmasked: 0.4 }, targetFmr: 0.001 });
  });

  it('a camera threshold holds for every condition, as before per-condition thresholds existed', () => {
    const s = settingsFor('own', {});
    expect(s).toMatchObject({ threshold: 0.5, targetFmr: null });
    expect(s.thresholds).toBeUndefined();
  });

  it('a door threshold replaces the site set: a stricter door stays stricter for masked faces', () => {
    const s = settingsFor('plain', { doors: [{ id: 'front', threshold: 0.45 }] });
    expect(s).toMatchObject({ threshold: 0.45, targetFmr: null });
    expect(s.thresholds).toBeUndefined();
  });

  it('a door with its own per-condition thresholds uses them, with the site threshold as fallback', () => {
    const s = settingsFor('plain', { doors: [{ id: 'front', thresholds: { masked: 0.38 } }] });
    expect(s).toMatchObject({ threshold: 0.35, thresholds: { masked: 0.38 }, targetFmr: null });
  });

  it('a door overriding only the grant expiry keeps the site thresholds and target', () => {
    expect(settingsFor('plain', { doors: [{ id: 'front', grantTtlMs: 9000 }] })).toMatchObject({
      thresholds: { masked: 0.31, unmasked: 0.4 },
      targetFmr: 0.001,
      grantTtlMs: 9000,
    });
  });

  it('refuses per-condition thresholds out of range or with unknown keys', () => {
    expect(() => parseConfig({ matching: { thresholds: { masked: 1.5 } } })).toThrow(/thresholds/);
    expect(() => parseConfig({ matching: { thresholds: { maskd: 0.3 } } })).toThrow(/thresholds/);
  });
});
