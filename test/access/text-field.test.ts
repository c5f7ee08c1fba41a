// The free-text rules on inputs shaped like what reaches a door system: names typed on phones
// (decomposed accents), pasted from spreadsheets (tabs, newlines), broken encodings, spoofing.
import { describe, expect, it } from 'vitest';
import { checkText, requireText, TEXT_RULES } from '../../access/text-field.js';

const name = (value: string) => checkText(value, TEXT_RULES.displayName, 'displayName');

describe('checkText', () => {
  it('trims and NFC-normalises, so the same name typed two ways is stored once', () => {
    expect(name('  Zoe\u0308 Dupont\u00A0')).toEqual({ ok: true, value: 'Zoë Dupont' });
    expect(name('Zoë Dupont')).toEqual({ ok: true, value: 'Zoë Dupont' });
    expect(name('李小龍')).toEqual({ ok: true, value: '李小龍' });
  });

  it.each([
    ['\u0000Ada', 'U+0000'],
    ['Ada\tLovelace', 'U+0009'],
    ['Ada\nLovelace', 'U+000A'],
    ['Ada\u007F', 'U+007F'],
    ['Ada\u0085', 'U+0085'],
    ['Ada\u2028', 'U+2028'],
    ['\u202EecalevoL adA', 'U+202E'],
  ])('refuses control character in %j (%s)', (value, code) => {
    const result = name(value);
    expect(result).toMatchObject({ ok: false, problem: 'text_control_character' });
    expect(!result.ok && result.message).toContain(code);
  });

  it('refuses text that is not UTF-8: a lone surrogate, or U+FFFD left by a decoder', () => {
    expect(name('Ada \uD800')).toMatchObject({ ok: false, problem: 'text_invalid_encoding' });
    expect(name('Ad\uFFFD')).toMatchObject({ ok: false, problem: 'text_invalid_encoding' });
  });

  it('refuses empty and white-space-only text', () => {
    expect(name('')).toMatchObject({ ok: false, problem: 'text_empty' });
    expect(name(' \u3000 ')).toMatchObject({ ok: false, problem: 'text_empty' });
  });

  it('counts characters, not UTF-16 units, after trimming', () => {
    expect(name('😀'.repeat(200))).toMatchObject({ ok: true });
    expect(name(`  ${'a'.repeat(200)}  `)).toMatchObject({ ok: true });
    expect(name('a'.repeat(201))).toMatchObject({ ok: false, problem: 'text_too_long' });
    expect(checkText('k'.repeat(101), TEXT_RULES.apiKeyName, 'name')).toMatchObject({ ok: false, problem: 'text_too_long' });
  });

  it('requireText throws with the problem as code', () => {
    expect(() => requireText('\u0000', TEXT_RULES.apiKeyName, '--name')).toThrow(expect.objectContaining({ code: 'text_control_character' }));
    expect(requireText(' HR sync ', TEXT_RULES.apiKeyName, '--name')).toBe('HR sync');
  });
});
