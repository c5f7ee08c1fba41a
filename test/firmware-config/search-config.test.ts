// The decision-search section: the index is on by default from 20,000 templates, in float32,
// every knob bounded, and every change needs a restart (the index is built when the daemon starts).
import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../firmware-config/load.js';
import { changesNeedingRestart } from '../../firmware-config/restart-fields.js';

function problems(raw: unknown): readonly string[] {
  try {
    parseConfig(raw);
    return [];
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
}

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
      buildThreads: 1,
    });
  });

  it('refuses an unknown quantisation, a zero candidate count and unknown keys', () => {
    expect(problems({ search: { quantization: 'f8' } }).some((p) => p.startsWith('/search/quantization'))).toBe(true);
    expect(problems({ search: { candidates: 0 } }).some((p) => p.startsWith('/search/candidates'))).toBe(true);
    expect(problems({ search: { indexMinTemplates: 10 } }).some((p) => p.startsWith('/search/indexMinTemplates'))).toBe(true);
    expect(problems({ search: { savePath: '/tmp/index' } })).toContain('/search: unknown key "savePath"');
  });

  it('applies a change only on a restart', () => {
    const running = parseConfig({});
    expect(changesNeedingRestart(running, parseConfig({ search: { expansionSearch: 256 } }))).toEqual(['search']);
  });
});
