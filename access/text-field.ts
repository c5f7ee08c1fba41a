// The rules every free-text field follows (display names, external ids, API-key names, search
// strings): valid Unicode, no control characters, trimmed, NFC-normalised, limited in characters
// (code points, as SQLite's length() counts them). One function, so that the API, the CLI and
// anything added later accept and store exactly the same text.

/** Why a text was refused; each becomes a field-level error code of the enrolment API. */
export type TextProblem = 'text_invalid_encoding' | 'text_control_character' | 'text_empty' | 'text_too_long';

export interface TextRule {
  /** Longest accepted text in characters (code points), after trimming and normalisation. */
  readonly maxChars: number;
}

export type TextResult = { readonly ok: true; readonly value: string } | { readonly ok: false; readonly problem: TextProblem; readonly message: string };

/**
 * C0 and C1 controls, DEL, and the line/paragraph separators: they break log lines, terminal
 * output and CSV exports, and no name needs them. Bidi overrides are refused for the same reason:
 * they make a name display as something else.
 */
// eslint-disable-next-line no-control-regex -- finding control characters is this rule's whole purpose
const FORBIDDEN = /[\u0000-\u001F\u007F-\u009F\u2028\u2029\u202A-\u202E\u2066-\u2069]/u;
/** With the `u` flag a surrogate code unit matches only when it is unpaired (not UTF-16, so not UTF-8). */
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;
/** U+FFFD is what a decoder leaves for bytes that were not UTF-8: the original text is lost. */
const REPLACEMENT = '\uFFFD';

/** Normalises `value` by the rules, or says which rule it breaks. `field` only words the message. */
export function checkText(value: string, rule: TextRule, field: string): TextResult {
  if (LONE_SURROGATE.test(value) || value.includes(REPLACEMENT)) {
    return { ok: false, problem: 'text_invalid_encoding', message: `${field} is not valid UTF-8 text` };
  }
  const forbidden = FORBIDDEN.exec(value);
  if (forbidden) {
    const code = forbidden[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0');
    return { ok: false, problem: 'text_control_character', message: `${field} contains the control character U+${code}` };
  }
  const normalised = value.normalize('NFC').trim();
  if (normalised.length === 0) return { ok: false, problem: 'text_empty', message: `${field} is empty` };
  const chars = [...normalised].length;
  if (chars > rule.maxChars) {
    return { ok: false, problem: 'text_too_long', message: `${field} has ${chars} characters; at most ${rule.maxChars} are allowed` };
  }
  return { ok: true, value: normalised };
}

/** Limits of the stored text fields (the database CHECKs agree). */
export const TEXT_RULES = {
  displayName: { maxChars: 200 },
  externalId: { maxChars: 200 },
  apiKeyName: { maxChars: 100 },
  search: { maxChars: 200 },
} as const satisfies Record<string, TextRule>;

/** The normalised text, or an Error carrying the problem as its `code` (for command-line tools). */
export function requireText(value: string, rule: TextRule, field: string): string {
  const result = checkText(value, rule, field);
  if (result.ok) return result.value;
  throw Object.assign(new Error(result.message), { code: result.problem });
}
