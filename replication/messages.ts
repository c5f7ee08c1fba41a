// What travels between appliances, typed in one place: a change (one person's full state, or
// their tombstone) sealed with the site key and signed by the authority, and a replica's report
// (acknowledgements plus its model and head-count) sealed with the site key. Each change is a
// complete snapshot, not a diff, so a replica only ever needs the newest revision of a person:
// retained messages and queued ones may arrive in any order and duplicated, and the result is
// the same.
import { Ajv } from 'ajv';
import Type, { type Static, type TSchema } from 'typebox';

export const MAX_CHANGE_BYTES = 8 * 1024 * 1024;
export const MAX_REPORT_BYTES = 1024 * 1024;
export const MAX_FACES_PER_PERSON = 100;
export const MAX_ACKS_PER_REPORT = 500;

const Base64 = (title: string, maxLength: number) => Type.String({ title, pattern: '^[A-Za-z0-9+/]*={0,2}$', maxLength });
export const Id = Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$' });

/**
 * The subject of a `policy` change in the header's personId field. Person ids are random UUIDs,
 * so it never names a person; the kind is bound into the signature and the GCM tag, so a policy
 * body cannot pass for a person's or the reverse.
 */
export const POLICY_SUBJECT = 'site-policy';

export const ChangeKindSchema = Type.Union([Type.Literal('person'), Type.Literal('tombstone'), Type.Literal('policy')]);
export type ChangeKind = Static<typeof ChangeKindSchema>;

/**
 * The signed, sealed wire form of one change: this JSON header, a newline, then the raw
 * AES-256-GCM ciphertext (tag appended). Binary after the header so the crops are not
 * base64-inflated on the wire (a third more bytes per person).
 */
export const ChangeEnvelopeSchema = Type.Object(
  {
    v: Type.Literal(1),
    site: Id,
    authorityId: Id,
    personId: Type.String({ title: 'The person, or "site-policy" for the site policy document', pattern: '^[A-Za-z0-9_-]{1,64}$' }),
    revision: Type.Integer({ title: 'Per-person (or policy document) revision, increasing with every change', minimum: 1 }),
    kind: ChangeKindSchema,
    keyVersion: Type.Integer({ title: 'Site key version that sealed the body', minimum: 1 }),
    nonce: Base64('96-bit AES-GCM nonce', 16),
    signature: Base64("Ed25519 signature by the authority over the header fields, nonce and ciphertext", 88),
  },
  { additionalProperties: false, title: 'Replicated change of one person (header)' },
);
export type ChangeEnvelope = Static<typeof ChangeEnvelopeSchema>;
export type ChangeHeader = Pick<ChangeEnvelope, 'site' | 'authorityId' | 'personId' | 'revision' | 'kind' | 'keyVersion'>;

/**
 * A person's own part of the access policy, sealed with their snapshot: the PIN hash is a
 * secret (an offline guess at a 4–8 digit PIN is cheap), so it travels like the crops.
 */
export const PersonAccessSchema = Type.Object(
  {
    groupIds: Type.Array(Id, { maxItems: 1000 }),
    validFrom: Type.Union([Type.Integer(), Type.Null()]),
    validUntil: Type.Union([Type.Integer(), Type.Null()]),
    pinHash: Type.Union([Type.String({ minLength: 1, maxLength: 500 }), Type.Null()]),
  },
  { additionalProperties: false },
);
export type PersonAccess = Static<typeof PersonAccessSchema>;

export const ReplicatedFaceSchema = Type.Object(
  {
    id: Id,
    sourceSha256: Type.String({ pattern: '^[0-9a-f]{64}$' }),
    quality: Type.Object({}, { additionalProperties: true, title: 'Quality report at enrolment' }),
    cropBytes: Type.Integer({ title: 'Length of this face\'s PNG crop in the bytes after the JSON', minimum: 8, maximum: 512 * 1024 }),
  },
  { additionalProperties: false },
);

/**
 * The sealed body of a `person` change: this JSON, a newline, then the faces' aligned 112x112
 * reference crops (PNG) back to back, in the order listed. Each appliance embeds them with its
 * own model.
 */
export const PersonBodySchema = Type.Object(
  {
    displayName: Type.String({ minLength: 1, maxLength: 200 }),
    externalId: Type.Union([Type.String({ minLength: 1, maxLength: 200 }), Type.Null()]),
    active: Type.Boolean(),
    faces: Type.Array(ReplicatedFaceSchema, { maxItems: MAX_FACES_PER_PERSON }),
    /** Absent from an authority older than policy replication: the replica then leaves the person's policy as it is. */
    access: Type.Optional(PersonAccessSchema),
  },
  { additionalProperties: false },
);
type PersonBodyJson = Static<typeof PersonBodySchema>;

/** A person change as the code sees it: the JSON part with each face's crop attached. */
export interface PersonBody extends Omit<PersonBodyJson, 'faces'> {
  readonly faces: readonly (Omit<PersonBodyJson['faces'][number], 'cropBytes'> & { readonly cropPng: Buffer })[];
}
export type ReplicatedFace = PersonBody['faces'][number];

const NEWLINE = 0x0a;

/** JSON (no raw newlines in JSON.stringify output), a newline, then `tail`. */
export function frame(json: unknown, tail: readonly Buffer[] = []): Buffer {
  return Buffer.concat([Buffer.from(JSON.stringify(json)), Buffer.from([NEWLINE]), ...tail]);
}

/** Splits a framed message at its first newline; null when there is none. */
export function unframe(bytes: Buffer): { json: Buffer; tail: Buffer } | null {
  const at = bytes.indexOf(NEWLINE);
  return at < 0 ? null : { json: bytes.subarray(0, at), tail: bytes.subarray(at + 1) };
}

export function encodePersonBody(body: PersonBody): Buffer {
  const json: PersonBodyJson = {
    displayName: body.displayName,
    externalId: body.externalId,
    active: body.active,
    faces: body.faces.map(({ cropPng, ...face }) => ({ ...face, cropBytes: cropPng.length })),
    ...(body.access ? { access: body.access } : {}),
  };
  return frame(json, body.faces.map((f) => f.cropPng));
}

/** Null when the JSON does not fit the schema or the crop lengths do not add up to the tail. */
export function decodePersonBody(bytes: Buffer): PersonBody | null {
  const parts = unframe(bytes);
  const json = parts && parseAs(PersonBodySchema, parts.json);
  if (!parts || !json) return null;
  if (json.faces.reduce((sum, f) => sum + f.cropBytes, 0) !== parts.tail.length) return null;
  let at = 0;
  const faces = json.faces.map(({ cropBytes, ...face }) => {
    const cropPng = Buffer.from(parts.tail.subarray(at, at + cropBytes));
    at += cropBytes;
    return { ...face, cropPng };
  });
  return { ...json, faces };
}

const TimeRangeFields = { start: Type.String({ pattern: '^\\d{2}:\\d{2}$' }), end: Type.String({ pattern: '^\\d{2}:\\d{2}$' }) };
const Weekday = Type.Union(['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'].map((d) => Type.Literal(d as 'mon')));
const Name = Type.String({ minLength: 1, maxLength: 100 });
const Millis = Type.Integer({ minimum: 0 });

/**
 * The sealed body of a `policy` change: the whole site-wide access policy (store
 * PolicyDocument). One document with one revision, not one message per zone or group, so a
 * replica away for a week, or joining late, gets deletions right by replacing its policy whole.
 */
export const PolicyBodySchema = Type.Object(
  {
    settings: Type.Object(
      {
        mode: Type.Union([Type.Literal('open'), Type.Literal('enforced')]),
        timeZone: Type.String({ minLength: 1, maxLength: 100 }),
        pin: Type.Object(
          { entrySeconds: Type.Integer({ minimum: 1 }), maxAttempts: Type.Integer({ minimum: 1 }), lockoutSeconds: Type.Integer({ minimum: 0 }) },
          { additionalProperties: false },
        ),
      },
      { additionalProperties: false },
    ),
    doors: Type.Array(Type.Object({ doorId: Type.String({ minLength: 1, maxLength: 200 }), factors: Type.Union([Type.Literal('face'), Type.Literal('face+pin')]) }, { additionalProperties: false }), { maxItems: 10_000 }),
    zones: Type.Array(
      Type.Object({ id: Id, name: Name, doorIds: Type.Array(Type.String({ minLength: 1, maxLength: 200 }), { maxItems: 10_000 }), createdAt: Millis, updatedAt: Millis }, { additionalProperties: false }),
      { maxItems: 10_000 },
    ),
    schedules: Type.Array(
      Type.Object(
        {
          id: Id,
          name: Name,
          windows: Type.Array(Type.Object({ days: Type.Array(Weekday, { maxItems: 7 }), ...TimeRangeFields }, { additionalProperties: false }), { maxItems: 100 }),
          holidayWindows: Type.Union([Type.Array(Type.Object(TimeRangeFields, { additionalProperties: false }), { maxItems: 100 }), Type.Null()]),
          createdAt: Millis,
          updatedAt: Millis,
        },
        { additionalProperties: false },
      ),
      { maxItems: 10_000 },
    ),
    holidays: Type.Array(Type.Object({ date: Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$' }), name: Name }, { additionalProperties: false }), { maxItems: 10_000 }),
    groups: Type.Array(
      Type.Object(
        {
          id: Id,
          name: Name,
          grants: Type.Array(Type.Object({ zoneId: Id, scheduleId: Type.Union([Id, Type.Null()]) }, { additionalProperties: false }), { maxItems: 10_000 }),
          createdAt: Millis,
          updatedAt: Millis,
        },
        { additionalProperties: false },
      ),
      { maxItems: 10_000 },
    ),
  },
  { additionalProperties: false },
);
export type PolicyBody = Static<typeof PolicyBodySchema>;

/** The sealed body of a `tombstone` change: nothing but the authenticated header. */
export const TombstoneBodySchema = Type.Object({}, { additionalProperties: false });

export const ReplicaAckSchema = Type.Object(
  {
    personId: Id,
    revision: Type.Integer({ minimum: 1 }),
    tombstone: Type.Boolean(),
    erased: Type.Boolean({ title: 'Tombstone only: the person is gone and the files were scrubbed (WAL truncated)' }),
  },
  { additionalProperties: false },
);

/** The sealed body of a replica's report. */
export const ReportBodySchema = Type.Object(
  {
    modelId: Type.String({ minLength: 1, maxLength: 200 }),
    people: Type.Integer({ title: 'People in the replica gallery', minimum: 0 }),
    policyRevision: Type.Optional(Type.Integer({ title: 'The policy document revision the replica applied', minimum: 1 })),
    acks: Type.Array(ReplicaAckSchema, { maxItems: MAX_ACKS_PER_REPORT }),
  },
  { additionalProperties: false },
);
export type ReportBody = Static<typeof ReportBodySchema>;

export const ReportEnvelopeSchema = Type.Object(
  {
    v: Type.Literal(1),
    site: Id,
    replicaId: Id,
    keyVersion: Type.Integer({ minimum: 1 }),
    nonce: Base64('96-bit AES-GCM nonce', 16),
    ciphertext: Base64('AES-256-GCM ciphertext of the report, tag appended', MAX_REPORT_BYTES),
  },
  { additionalProperties: false, title: "Replica report: acknowledgements, model and head-count" },
);
export type ReportEnvelope = Static<typeof ReportEnvelopeSchema>;

const ajv = new Ajv({ allErrors: false, strict: false });
const compiled = new Map<TSchema, ReturnType<typeof ajv.compile>>();

/** Parses JSON and checks it against `schema`; null when it is not JSON or does not fit. */
export function parseAs<S extends TSchema>(schema: S, bytes: Buffer | string): Static<S> | null {
  let value: unknown;
  try {
    value = JSON.parse(typeof bytes === 'string' ? bytes : bytes.toString('utf8'));
  } catch {
    return null;
  }
  let validate = compiled.get(schema);
  if (!validate) {
    validate = ajv.compile(schema);
    compiled.set(schema, validate);
  }
  return validate(value) ? (value as Static<S>) : null;
}

/**
 * The authenticated header bytes: bound into the GCM tag (as AAD) and covered by the signature,
 * so a body cannot be replayed under another person, revision or kind.
 */
export function changeHeaderBytes(header: ChangeHeader): Buffer {
  return Buffer.from(`maskgate-change/1|${header.site}|${header.authorityId}|${header.personId}|${header.revision}|${header.kind}|${header.keyVersion}`);
}

export function reportHeaderBytes(site: string, replicaId: string, keyVersion: number): Buffer {
  return Buffer.from(`maskgate-report/1|${site}|${replicaId}|${keyVersion}`);
}
