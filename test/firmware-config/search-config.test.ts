// The decision-search section: the coded (int8, proven exact) scan is on by default and the HNSW
// index off, every knob bounded, and every change needs a restart (both are set up at start).
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../firmware-config/load.js';
import { changesNeedingRestart } from '../../firmware-config/restart-fields.js';

describe('search config', () => {
  it('scans campus-sized galleries on int8 codes by default, with the index off', () => {
    expect(parseConfig({}).search).toEqual({
      codedScan: true,
      codedCandidates: 32,
      codedThreads: 2,
      pinCodedThreads: true,
      index: false,
      indexMinTemplates: 20_000,
      connectivity: 16,
      expansionAdd: 128,
      expansionSearch: 128,
      candidates: 64,
      quantization: 'f32',
      confirmDenials: true,
      buildThreads: 1,
    });
  });

  it('refuses an unknown quantisation, a zero candidate count and unknown keys', () => {
    // The ConfigError message lists every problem, one per line, by JSON pointer.
    expect(() => parseConfig({ search: { quantization: 'f8' } })).toThrow(/\/search\/quantization/);
    expect(() => parseConfig({ search: { candidates: 0 } })).toThrow(/\/search\/candidates/);
    expect(() => parseConfig({ search: { codedCandidates: 0 } })).toThrow(/\/search\/codedCandidates/);
    expect(() => parseConfig({ search: { codedThreads: 0 } })).toThrow(/\/search\/codedThreads/);
    expect(() => parseConfig({ search: { pinCodedThreads: 'yes' } })).toThrow(/\/search\/pinCodedThreads/);
    expect(() => parseConfig({ search: { indexMinTemplates: 10 } })).toThrow(/\/search\/indexMinTemplates/);
    expect(() => parseConfig({ search: { savePath: '/tmp/index' } })).toThrow('/search: unknown key "savePath"');
  });

  it('applies a change only on a restart', () => {
    const running = parseConfig({});
    expect(changesNeedingRestart(running, parseConfig({ search: { expansionSearch: 256 } }))).toEqual(['search']);
    expect(changesNeedingRestart(running, parseConfig({ search: { codedScan: false } }))).toEqual(['search']);
  });
});
