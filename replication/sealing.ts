// Sealing and opening the two message kinds. Opening checks, in order of cost: size, shape,
// site and sender, the authority's signature, then decryption and the body's shape. A refusal
// says why in a stable code; it never carries plaintext, so it can be logged as it is.
import { MAX_CHANGE_BYTES, MAX_REPORT_BYTES, ChangeEnvelopeSchema, PolicyBodySchema, ReportBodySchema, ReportEnvelopeSchema,
  TombstoneBodySchema, changeHeaderBytes, decodePersonBody, encodePersonBody, frame, parseAs, reportHeaderBytes, unframe,
  type ChangeEnvelope, type ChangeHeader, type ChangeKind, type PersonBody, type PolicyBody, type ReportBody } from './messages.js';
import type { PolicyDocument } from '../store/policy-document-repository.js';
import type { AuthoritySigner, AuthorityVerifier } from './authority-signature.js';
import { SiteKeyError, type SiteKeyring } from './site-keys.js';

export type RefusalReason =
  | 'too_large'
  | 'malformed'
  | 'wrong_site'
  | 'wrong_authority'
  | 'topic_mismatch'
  | 'bad_signature'
  | 'unknown_key_version'
  | 'decryption_failed'
  | 'malformed_body';

export interface Refusal {
  readonly ok: false;
  readonly reason: RefusalReason;
  readonly detail: string;
  readonly personId?: string;
  readonly revision?: number;
}

export type OpenedChange =
  | { readonly ok: true; readonly header: ChangeHeader; readonly kind: 'person'; readonly body: PersonBody }
  | { readonly ok: true; readonly header: ChangeHeader; readonly kind: 'tombstone'; readonly body: null }
  | { readonly ok: true; readonly header: ChangeHeader; readonly kind: 'policy'; readonly body: PolicyBody };

/** A person body is JSON and crops; a policy body is JSON; a tombstone's is `{}`. */
function encodeBody(kind: ChangeKind, body: PersonBody | PolicyDocument | null): Buffer {
  if (kind === 'person') return encodePersonBody(body as PersonBody);
  return Buffer.from(JSON.stringify(kind === 'policy' ? body : {}));
}

function refuse(reason: RefusalReason, detail: string, at?: { personId: string; revision: number }): Refusal {
  return { ok: false, reason, detail, ...(at ? { personId: at.personId, revision: at.revision } : {}) };
}

function signedBytes(header: ChangeHeader, nonce: string, ciphertext: Buffer): Buffer {
  return Buffer.concat([changeHeaderBytes(header), Buffer.from(`|${nonce}|`), ciphertext]);
}

export function sealChange(
  keys: SiteKeyring,
  signer: AuthoritySigner,
  change: { site: string; authorityId: string; personId: string; revision: number; kind: ChangeKind },
  body: PersonBody | PolicyDocument | null,
): Buffer {
  const header: ChangeHeader = { ...change, keyVersion: keys.currentVersion };
  const plaintext = encodeBody(change.kind, body);
  const sealed = keys.seal(plaintext, changeHeaderBytes(header));
  const nonce = sealed.nonce.toString('base64');
  const signature = signer.sign(signedBytes(header, nonce, sealed.ciphertext)).toString('base64');
  const envelope: ChangeEnvelope = { v: 1, ...header, nonce, signature };
  return frame(envelope, [sealed.ciphertext]);
}

export function openChange(
  keys: SiteKeyring,
  verifier: AuthorityVerifier,
  expected: { site: string; authorityId: string; personId: string },
  payload: Buffer,
): OpenedChange | Refusal {
  if (payload.length > MAX_CHANGE_BYTES) return refuse('too_large', `${payload.length} bytes`);
  const parts = unframe(payload);
  const envelope = parts && parseAs(ChangeEnvelopeSchema, parts.json);
  if (!parts || !envelope) return refuse('malformed', 'not a change envelope');
  const at = { personId: envelope.personId, revision: envelope.revision };
  if (envelope.site !== expected.site) return refuse('wrong_site', `site ${envelope.site}`, at);
  if (envelope.authorityId !== expected.authorityId) return refuse('wrong_authority', `authority ${envelope.authorityId}`, at);
  if (envelope.personId !== expected.personId) return refuse('topic_mismatch', 'person id differs from the topic', at);
  const { v: _v, nonce, signature, ...header } = envelope;
  const ciphertext = parts.tail;
  if (!verifier.verify(signedBytes(header, nonce, ciphertext), Buffer.from(signature, 'base64'))) {
    return refuse('bad_signature', 'not signed by the authority', at);
  }
  let plaintext: Buffer;
  try {
    plaintext = keys.open({ keyVersion: header.keyVersion, nonce: Buffer.from(nonce, 'base64'), ciphertext }, changeHeaderBytes(header));
  } catch (err) {
    const unknown = err instanceof SiteKeyError && !keys.has(header.keyVersion);
    return refuse(unknown ? 'unknown_key_version' : 'decryption_failed', (err as Error).message, at);
  }
  if (header.kind === 'tombstone') {
    return parseAs(TombstoneBodySchema, plaintext) ? { ok: true, header, kind: 'tombstone', body: null } : refuse('malformed_body', 'tombstone', at);
  }
  if (header.kind === 'policy') {
    const policy = parseAs(PolicyBodySchema, plaintext);
    return policy ? { ok: true, header, kind: 'policy', body: policy } : refuse('malformed_body', 'policy', at);
  }
  const body = decodePersonBody(plaintext);
  return body ? { ok: true, header, kind: 'person', body } : refuse('malformed_body', 'person', at);
}

export function sealReport(keys: SiteKeyring, site: string, replicaId: string, body: ReportBody): Buffer {
  const sealed = keys.seal(Buffer.from(JSON.stringify(body)), reportHeaderBytes(site, replicaId, keys.currentVersion));
  return Buffer.from(
    JSON.stringify({ v: 1, site, replicaId, keyVersion: sealed.keyVersion, nonce: sealed.nonce.toString('base64'), ciphertext: sealed.ciphertext.toString('base64') }),
  );
}

export function openReport(
  keys: SiteKeyring,
  expected: { site: string; replicaId: string },
  payload: Buffer,
): { ok: true; replicaId: string; body: ReportBody } | Refusal {
  if (payload.length > MAX_REPORT_BYTES) return refuse('too_large', `${payload.length} bytes`);
  const envelope = parseAs(ReportEnvelopeSchema, payload);
  if (!envelope) return refuse('malformed', 'not a report envelope');
  if (envelope.site !== expected.site) return refuse('wrong_site', `site ${envelope.site}`);
  if (envelope.replicaId !== expected.replicaId) return refuse('topic_mismatch', 'replica id differs from the topic');
  let plaintext: Buffer;
  try {
    plaintext = keys.open(
      { keyVersion: envelope.keyVersion, nonce: Buffer.from(envelope.nonce, 'base64'), ciphertext: Buffer.from(envelope.ciphertext, 'base64') },
      reportHeaderBytes(envelope.site, envelope.replicaId, envelope.keyVersion),
    );
  } catch (err) {
    return refuse(keys.has(envelope.keyVersion) ? 'decryption_failed' : 'unknown_key_version', (err as Error).message);
  }
  const body = parseAs(ReportBodySchema, plaintext);
  return body ? { ok: true, replicaId: envelope.replicaId, body } : refuse('malformed_body', 'report');
}
