// Camera URLs routinely carry `user:password@`; ffmpeg echoes the URL in its own error lines.
// Everything that leaves the capture module as text (logs, error messages, diagnostics) goes
// through a masker so that a password never reaches a log file or an MQTT payload.

const MASK = '***';

// Greedy up to the last '@' before the path: unencoded '@' in passwords is common in the field.
const URL_USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)[^\s/?#]*@/gi;

/** Replaces the user-info part of every URL in `text` with `***`. */
export function maskUrlCredentials(text: string): string {
  return text.replace(URL_USERINFO, `$1${MASK}@`);
}

export type CredentialMasker = (text: string) => string;

/**
 * Builds a masker for one source URL: it masks URL user-info anywhere, and also the literal
 * password (raw and percent-decoded) in case ffmpeg prints it outside a URL. Very short
 * passwords are only masked inside URLs, so that diagnostics stay readable.
 */
export function createCredentialMasker(sourceUrl: string): CredentialMasker {
  const secrets = passwordForms(sourceUrl).filter((s) => s.length >= 3);
  return (text: string): string => {
    let masked = maskUrlCredentials(text);
    for (const secret of secrets) masked = masked.split(secret).join(MASK);
    return masked;
  };
}

function passwordForms(sourceUrl: string): string[] {
  const match = /^[a-z][a-z0-9+.-]*:\/\/([^\s/?#]*)@/i.exec(sourceUrl);
  const userInfo = match?.[1];
  if (userInfo === undefined) return [];
  const colon = userInfo.indexOf(':');
  if (colon < 0) return [];
  const raw = userInfo.slice(colon + 1);
  const forms = new Set([raw]);
  try {
    forms.add(decodeURIComponent(raw));
  } catch {
    // Not valid percent-encoding: the raw form is all ffmpeg can print.
  }
  return [...forms].filter((s) => s.length > 0);
}
