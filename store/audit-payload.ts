// Guards the audit log against biometric data. The decisions table outlives the people it
// mentions, so it must never hold an embedding or an image. These checks are defence in depth
// against a caller putting one in the free-form payload by mistake; they cannot prove absence.
import { StoreError } from './errors.js';

export type JsonValue = string | number | boolean | null | readonly JsonValue[] | { readonly [key: string]: JsonValue };
export type JsonObject = { readonly [key: string]: JsonValue };

/** A run of this many numbers is the shape of an embedding (the smallest we use is 128-D). */
export const MAX_NUMERIC_ARRAY_LENGTH = 64;
/** Longer strings are the shape of base64/hex-encoded binary (an encoded 128-D embedding is ~680 chars). */
export const MAX_PAYLOAD_STRING_LENGTH = 512;
export const MAX_PAYLOAD_BYTES = 16 * 1024;

/** Serialises an audit payload, throwing STORE_BIOMETRIC_IN_AUDIT or STORE_INVALID_INPUT when it is unfit. */
export function serialiseAuditPayload(payload: JsonObject): string {
  if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) {
    throw new StoreError('STORE_INVALID_INPUT', 'decision payload must be a JSON object');
  }
  inspect(payload, 'payload');
  const json = JSON.stringify(payload);
  if (Buffer.byteLength(json) > MAX_PAYLOAD_BYTES) {
    throw new StoreError('STORE_INVALID_INPUT', `decision payload exceeds ${MAX_PAYLOAD_BYTES} bytes`);
  }
  return json;
}

function inspect(value: unknown, path: string): void {
  if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) {
    throw new StoreError('STORE_BIOMETRIC_IN_AUDIT', `${path} holds binary data; the audit log must not`);
  }
  if (typeof value === 'string' && value.length > MAX_PAYLOAD_STRING_LENGTH) {
    throw new StoreError(
      'STORE_BIOMETRIC_IN_AUDIT',
      `${path} is a ${value.length}-character string (encoded binary?); at most ${MAX_PAYLOAD_STRING_LENGTH}`,
    );
  }
  if (Array.isArray(value)) {
    if (value.length >= MAX_NUMERIC_ARRAY_LENGTH && value.every((item) => typeof item === 'number')) {
      throw new StoreError('STORE_BIOMETRIC_IN_AUDIT', `${path} is a ${value.length}-number array (an embedding?)`);
    }
    value.forEach((item, index) => inspect(item, `${path}[${index}]`));
    return;
  }
  if (value !== null && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) inspect(item, `${path}.${key}`);
  }
}
