// The one catalogue of the enrolment API's error codes. Every error response is
// `{ error: { code, message, details? } }` with a code from here; clients branch on the code,
// never on the message. Codes are stable: add new ones, never rename or re-purpose old ones.
import { EnrolmentError, type EnrolmentErrorCode } from '../access/gallery.js';
import { ImageDecodeError, type ImageDecodeErrorCode } from '../pipeline/image.js';
import { StoreError } from '../store/errors.js';

export const ERROR_CATALOGUE = {
  validation_failed: { status: 400, description: 'Parameters, query or body do not match the route schema' },
  invalid_json: { status: 400, description: 'The body is not valid JSON' },
  empty_upload: { status: 400, description: 'The upload holds no photo, or a photo of zero bytes' },
  image_unreadable: { status: 400, description: 'The photo could not be decoded (corrupt or truncated)' },
  unexpected_field: { status: 400, description: 'A multipart upload carried a form field; only files are accepted' },
  invalid_time_zone: { status: 400, description: 'The time zone is not an IANA zone this appliance knows' },
  text_invalid_encoding: { status: 400, description: 'A text field (details.field) is not valid UTF-8 (or the JSON body is not)' },
  text_control_character: { status: 400, description: 'A text field (details.field) contains a control character (C0, C1, DEL, line separators, bidi overrides)' },
  text_empty: { status: 400, description: 'A text field (details.field) is empty or only white space' },
  text_too_long: { status: 400, description: 'A text field (details.field) has more characters than its limit, after trimming and NFC normalisation' },
  unauthorized: { status: 401, description: 'No API key, or an unknown or revoked one' },
  forbidden: { status: 403, description: "The API key's role does not allow this request" },
  csrf_token_invalid: { status: 403, description: 'A write over a console session cookie without its CSRF token (X-CSRF-Token header)' },
  route_not_found: { status: 404, description: 'No such route' },
  person_not_found: { status: 404, description: 'No person with this id' },
  face_not_found: { status: 404, description: 'This person has no face with this id' },
  zone_not_found: { status: 404, description: 'No access zone with this id' },
  schedule_not_found: { status: 404, description: 'No schedule with this id' },
  group_not_found: { status: 404, description: 'No access group with this id' },
  holiday_not_found: { status: 404, description: 'No holiday on this date' },
  door_not_found: { status: 404, description: 'The door id is neither in the config nor named by a zone' },
  external_id_conflict: { status: 409, description: 'Another person already has this external id' },
  duplicate_person: { status: 409, description: 'The face matches a different enrolled person (details.matchedPersonId); retry with ?force=true to enrol anyway' },
  duplicate_photo: { status: 409, description: 'This exact photo is already enrolled for this person (details.faceId)' },
  reembed_running: { status: 409, description: 'A re-embedding run is already in progress' },
  name_conflict: { status: 409, description: 'Another zone, schedule or group of the same kind already has this name' },
  replica_read_only: {
    status: 409,
    description: 'This appliance is a replication replica: people, faces and the access policy change only on the site authority (details.authorityId), and replicate here',
  },
  schedule_in_use: { status: 409, description: 'A group still grants a zone on this schedule (details.groupIds)' },
  body_too_large: { status: 413, description: 'The body or an uploaded file exceeds api.maxUploadBytes' },
  too_many_files: { status: 413, description: 'More photos in one upload than allowed' },
  image_too_large: { status: 413, description: 'The photo decodes to more pixels than api.maxImagePixels' },
  unsupported_media_type: { status: 415, description: 'Content type (or the photo format) not accepted by this route' },
  no_face: { status: 422, description: 'No face was found in the photo' },
  multiple_faces: { status: 422, description: 'The photo shows several faces (details.boxes); enrolment needs exactly one' },
  quality_rejected: { status: 422, description: 'The face is too small, blurred or turned (details.reasons)' },
  reference_not_found: { status: 422, description: 'The body names a door, zone, schedule or group that does not exist (details.field, details.id)' },
  calibration_unavailable: { status: 422, description: 'The appliance holds too few comparisons to calibrate (details.reason); run `maskgate calibrate` with stranger photos' },
  photos_rejected: { status: 422, description: 'None of several uploaded photos was enrolled (details.results has one entry per photo)' },
  rate_limited: { status: 429, description: 'Too many failed authentications from this address; retry after details.retryAfterSeconds' },
  internal_error: { status: 500, description: 'Unexpected server error (logged)' },
  not_ready: { status: 503, description: 'The appliance is not ready (database or models unavailable)' },
  degraded: { status: 503, description: 'A camera is not delivering frames (details.cameras: id, door, state, restarts); the API itself works' },
} as const satisfies Record<string, { status: number; description: string }>;

export type ApiErrorCode = keyof typeof ERROR_CATALOGUE;
export type ErrorDetails = Record<string, unknown>;

export class ApiError extends Error {
  override readonly name = 'ApiError';
  readonly status: number;

  constructor(
    readonly code: ApiErrorCode,
    message: string,
    readonly details?: ErrorDetails,
  ) {
    super(message);
    this.status = ERROR_CATALOGUE[code].status;
  }

  toBody(): { error: { code: ApiErrorCode; message: string; details?: ErrorDetails } } {
    return { error: { code: this.code, message: this.message, ...(this.details ? { details: this.details } : {}) } };
  }
}

const FROM_ENROLMENT: Record<EnrolmentErrorCode, ApiErrorCode> = {
  person_not_found: 'person_not_found',
  no_face: 'no_face',
  multiple_faces: 'multiple_faces',
  quality_rejected: 'quality_rejected',
  duplicate_person: 'duplicate_person',
  duplicate_photo: 'duplicate_photo',
};

const FROM_IMAGE: Record<ImageDecodeErrorCode, ApiErrorCode> = {
  image_missing: 'empty_upload',
  image_unreadable: 'image_unreadable',
  image_too_large: 'image_too_large',
};

/** Error codes of Fastify and its plugins that are the client's fault, by their `code`. */
const FROM_FRAMEWORK: Record<string, ApiErrorCode> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'body_too_large',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported_media_type',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'validation_failed',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'invalid_json',
  FST_ERR_CTP_INVALID_JSON_BODY: 'invalid_json',
  FST_REQ_FILE_TOO_LARGE: 'body_too_large',
  FST_FILES_LIMIT: 'too_many_files',
  FST_PARTS_LIMIT: 'too_many_files',
  FST_FIELDS_LIMIT: 'unexpected_field',
  FST_PROTO_VIOLATION: 'unexpected_field',
  FST_INVALID_MULTIPART_CONTENT_TYPE: 'unsupported_media_type',
  FST_MP_PREMATURE_CLOSE: 'validation_failed',
};

interface ValidationIssue {
  readonly instancePath?: string;
  readonly message?: string;
  readonly params?: Record<string, unknown>;
}

/**
 * Maps anything thrown by a route (domain errors, store errors, Fastify's own) to an ApiError.
 * Unknown errors become `internal_error` with a generic message: their text may hold internals.
 */
export function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  if (error instanceof EnrolmentError) {
    const details = Object.keys(error.details).length > 0 ? { ...error.details } : undefined;
    return new ApiError(FROM_ENROLMENT[error.code], error.message, details);
  }
  if (error instanceof ImageDecodeError) return new ApiError(FROM_IMAGE[error.code], error.message);
  if (error instanceof StoreError) {
    if (error.code === 'STORE_CONFLICT') return new ApiError('external_id_conflict', error.message);
    if (error.code === 'STORE_NOT_FOUND') return new ApiError('person_not_found', error.message);
    if (error.code === 'STORE_INVALID_INPUT') return new ApiError('validation_failed', error.message);
  }
  // A database CHECK is the last guard on stored text; its failure is bad input, not a crash.
  if ((error as { code?: unknown }).code === 'SQLITE_CONSTRAINT_CHECK') return new ApiError('validation_failed', 'A value is outside its allowed range');
  const fastifyError = error as { code?: unknown; validation?: ValidationIssue[]; validationContext?: string; message?: string; statusCode?: unknown };
  if (Array.isArray(fastifyError.validation)) {
    return new ApiError('validation_failed', fastifyError.message ?? 'Invalid request', {
      in: fastifyError.validationContext ?? 'request',
      issues: fastifyError.validation.map((issue) => ({ path: issue.instancePath ?? '', message: issue.message ?? 'invalid' })),
    });
  }
  const mapped = typeof fastifyError.code === 'string' ? FROM_FRAMEWORK[fastifyError.code] : undefined;
  if (mapped) return new ApiError(mapped, fastifyError.message ?? ERROR_CATALOGUE[mapped].description);
  return new ApiError('internal_error', 'Internal server error');
}
