// The decision-search section: the index is on by default from 20,000 templates, in float32,
// every knob bounded, and every change needs a restart (the index is built when the daemon starts).
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../firmware-config/load.js';
import { changesNeedingRestart } from '../../firmware-config/restart-fields.js';

describe('search config', () => {
  it('indexes campus-sized galleries in float32 by default', () => {
    expect(parseConfig({}).search).toEqual({
      index: true,
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
    expect(() => parseConfig({ search: { indexMinTemplates: 10 } })).toThrow(/\/search\/indexMinTemplates/);
    expect(() => parseConfig({ search: { savePath: '/tmp/index' } })).toThrow('/search: unknown key "savePath"');
  });

  it('applies a change only on a restart', () => {
    const running = parseConfig({});
    expect(changesNeedingRestart(running, parseConfig({ search: { expansionSearch: 256 } }))).toEqual(['search']);
  });
});
