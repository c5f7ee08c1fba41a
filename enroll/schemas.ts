// JSON Schemas (TypeBox) of everything the enrolment API accepts and returns. Fastify validates
// requests and serialises responses with them, and @fastify/swagger publishes them, so the docs
// cannot drift from the code. Responses list only public fields: serialisation drops the rest,
// so an embedding or crop can never leak through a response by accident.
import Type, { type Static } from 'typebox';
import { ERROR_CATALOGUE } from './errors.js';

export const Id = Type.String({ format: 'uuid', description: 'Random UUID' });
export const Millis = Type.Integer({ minimum: 0, description: 'Milliseconds since the Unix epoch (UTC)' });

export const ErrorBody = Type.Object(
  {
    error: Type.Object({
      code: Type.Union(
        Object.keys(ERROR_CATALOGUE).map((code) => Type.Literal(code)),
        { description: 'Stable error code; see the error catalogue in docs/enrolment-api.md' },
      ),
      message: Type.String({ description: 'Human-readable explanation; may change between versions' }),
      details: Type.Optional(Type.Record(Type.String(), Type.Unknown(), { description: 'Code-specific context' })),
    }),
  },
  { title: 'Error' },
);
export type ErrorBodyType = Static<typeof ErrorBody>;

/** Every route answers errors in the same shape. */
export const ERROR_RESPONSES = { '4xx': ErrorBody, '5xx': ErrorBody } as const;

/** Who may call: OpenAPI security requirement shared by every authenticated route. */
export const SECURITY: Record<string, string[]>[] = [{ bearerAuth: [] }, { apiKeyHeader: [] }];

// ---- people ------------------------------------------------------------------------------

// Free text is trimmed and NFC-normalised before these limits apply (in characters); control
// characters and invalid UTF-8 are refused with a field-level code (text_*; docs/enrolment-api.md).
const DisplayName = Type.String({
  minLength: 1,
  maxLength: 200,
  description: 'Name shown to operators: 1-200 characters after trimming and NFC normalisation; no control characters',
});
const ExternalId = Type.Union([Type.String({ minLength: 1, maxLength: 200 }), Type.Null()], {
  description: "Id in the site's HR or badge system; unique when present. Same text rules as displayName",
});

export const Person = Type.Object(
  {
    id: Id,
    displayName: Type.String(),
    externalId: Type.Union([Type.String(), Type.Null()]),
    active: Type.Boolean({ description: 'Inactive people are kept but never matched' }),
    faceCount: Type.Integer({ minimum: 0, description: 'Enrolled reference photos' }),
    createdAt: Millis,
    updatedAt: Millis,
  },
  { title: 'Person' },
);
export type PersonType = Static<typeof Person>;

export const NewPerson = Type.Object(
  { displayName: DisplayName, externalId: Type.Optional(ExternalId), active: Type.Optional(Type.Boolean({ default: true })) },
  { additionalProperties: false },
);

export const PersonChanges = Type.Object(
  { displayName: Type.Optional(DisplayName), externalId: Type.Optional(ExternalId), active: Type.Optional(Type.Boolean()) },
  { additionalProperties: false, minProperties: 1 },
);

export const PersonParams = Type.Object({ id: Id });
export const FaceParams = Type.Object({ id: Id, faceId: Id });

export const Paging = {
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
  offset: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000_000, default: 0 })),
};

export const PeopleQuery = Type.Object(
  { ...Paging, q: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'Substring of the display name or external id' })) },
  { additionalProperties: false },
);

export const PeoplePage = Type.Object({
  items: Type.Array(Person),
  total: Type.Integer({ minimum: 0 }),
  limit: Type.Integer(),
  offset: Type.Integer(),
});

export const PersonDeleted = Type.Object({
  id: Id,
  facesDeleted: Type.Integer({ minimum: 0 }),
  templatesDeleted: Type.Integer({ minimum: 0 }),
  walTruncated: Type.Boolean({ description: 'True when no copy of the deleted data is left in the SQLite write-ahead log' }),
});

// ---- faces -------------------------------------------------------------------------------

const QualityReport = Type.Object({
  ok: Type.Boolean(),
  reasons: Type.Array(Type.String()),
  warnings: Type.Optional(
    Type.Array(Type.String(), { description: 'Checks the door would refuse this face for; enrolment accepted it (photo quality profile)' }),
  ),
  interEyeDistancePx: Type.Number(),
  sharpness: Type.Number(),
  yawDeg: Type.Number(),
  rollDeg: Type.Number(),
});

export const Face = Type.Object(
  {
    id: Id,
    personId: Id,
    sourceSha256: Type.String({ description: 'SHA-256 of the uploaded photo (the photo itself is not kept)' }),
    quality: QualityReport,
    createdAt: Millis,
    matchable: Type.Boolean({ description: 'Has a template for the current model (false while re-embedding)' }),
  },
  { title: 'Face (metadata only: never the embedding)' },
);
export type FaceType = Static<typeof Face>;

export const FaceList = Type.Object({ items: Type.Array(Face) });

export const UploadQuery = Type.Object(
  { force: Type.Optional(Type.Boolean({ default: false, description: 'Enrol even when the face matches a different person' })) },
  { additionalProperties: false },
);

const PhotoResult = Type.Object({
  index: Type.Integer({ minimum: 0, description: 'Position of the photo in the upload' }),
  filename: Type.Union([Type.String({ maxLength: 255 }), Type.Null()], {
    description:
      'File name of the multipart part, without its directory, as a label only; null when absent or when it breaks the text rules (control characters, invalid UTF-8, over 255 characters). Pair results with files by index.',
  }),
  status: Type.Union([Type.Literal('enrolled'), Type.Literal('rejected')]),
  face: Type.Optional(Face),
  nearestOther: Type.Optional(
    Type.Union([Type.Object({ personId: Id, score: Type.Number() }), Type.Null()], {
      description: 'Most similar other person at enrolment time (below the duplicate threshold unless forced)',
    }),
  ),
  error: Type.Optional(Type.Object({ code: Type.String(), message: Type.String(), details: Type.Optional(Type.Record(Type.String(), Type.Unknown())) })),
});
export type PhotoResultType = Static<typeof PhotoResult>;

export const UploadReport = Type.Object({
  enrolled: Type.Integer({ minimum: 0 }),
  rejected: Type.Integer({ minimum: 0 }),
  results: Type.Array(PhotoResult),
});

export const FaceDeleted = Type.Object({ id: Id, personId: Id });

// ---- decisions ---------------------------------------------------------------------------

const Outcome = Type.Union([Type.Literal('grant'), Type.Literal('deny'), Type.Literal('unknown')]);
const Segment = Type.String({ minLength: 1, maxLength: 200 });

export const DecisionsQuery = Type.Object(
  {
    ...Paging,
    doorId: Type.Optional(Segment),
    cameraId: Type.Optional(Segment),
    personId: Type.Optional(Segment),
    outcome: Type.Optional(Outcome),
    from: Type.Optional(Type.Integer({ minimum: 0, description: 'Decided at or after (ms since epoch)' })),
    to: Type.Optional(Type.Integer({ minimum: 0, description: 'Decided before (ms since epoch)' })),
  },
  { additionalProperties: false },
);

export const Decision = Type.Object(
  {
    id: Type.String({ description: 'Event id, as in the MQTT message' }),
    decidedAt: Millis,
    createdAt: Millis,
    cameraId: Type.String(),
    doorId: Type.String(),
    trackId: Type.Union([Type.String(), Type.Null()]),
    outcome: Outcome,
    personId: Type.Union([Type.String(), Type.Null()]),
    score: Type.Union([Type.Number(), Type.Null()]),
    threshold: Type.Number(),
    modelId: Type.String(),
    masked: Type.Union([Type.Boolean(), Type.Null()]),
    expiresAt: Type.Union([Millis, Type.Null()]),
    payload: Type.Record(Type.String(), Type.Unknown()),
  },
  { title: 'Access decision (audit log)' },
);

export const DecisionsPage = Type.Object({
  items: Type.Array(Decision),
  total: Type.Integer({ minimum: 0 }),
  limit: Type.Integer(),
  offset: Type.Integer(),
});

// ---- health and re-embedding -----------------------------------------------------------

export const Health = Type.Object({ status: Type.Literal('ok') });

export const Readiness = Type.Object({
  status: Type.Literal('ready'),
  modelId: Type.String(),
  galleryTemplates: Type.Integer({ minimum: 0 }),
});

export const ReembedProgress = Type.Object(
  {
    modelId: Type.String({ description: 'The model templates are being made for (the configured one)' }),
    running: Type.Boolean(),
    total: Type.Integer({ minimum: 0, description: 'Faces that had no template for modelId when the run started' }),
    done: Type.Integer({ minimum: 0, description: 'Of those, re-embedded (or deleted meanwhile)' }),
    failed: Type.Integer({ minimum: 0, description: 'Of those, whose stored crop could not be re-embedded' }),
    startedAt: Type.Union([Millis, Type.Null()]),
    finishedAt: Type.Union([Millis, Type.Null()]),
  },
  { title: 'Re-embedding progress' },
);
