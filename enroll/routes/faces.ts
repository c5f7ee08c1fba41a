// Reference photos of a person: upload (multipart, one or several files, or one raw image
// body), list (metadata only), the aligned crop for review (admin only), delete.
import multipart from '@fastify/multipart';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import Type from 'typebox';
import type { Gallery, EnrolResult } from '../../access/gallery.js';
import { checkText, type TextRule } from '../../access/text-field.js';
import { SerialQueue } from '../../pipeline/execution-providers.js';
import type { FaceRecord } from '../../store/faces-repository.js';
import { ApiError, toApiError } from '../errors.js';
import { PHOTO_MEDIA_TYPES, sniffPhotoFormat } from '../photo-format.js';
import {
  ERROR_RESPONSES,
  FaceDeleted,
  FaceList,
  FaceParams,
  PersonParams,
  SECURITY,
  UploadQuery,
  UploadReport,
  type FaceType,
  type PhotoResultType,
} from '../schemas.js';
import { requirePerson } from './people.js';

export interface FacesRoutesOptions {
  readonly gallery: Gallery;
  /** Largest photo (and raw body) in bytes. */
  readonly maxUploadBytes: number;
  /** Largest photo in decoded pixels. */
  readonly maxImagePixels: number;
  /** Most photos in one multipart upload. */
  readonly maxPhotosPerUpload: number;
}

export const DEFAULT_MAX_PHOTOS_PER_UPLOAD = 10;

/** The longest file name echoed back: what common file systems allow. */
const FILENAME_RULE: TextRule = { maxChars: 255 };

/**
 * The part's file name as a label for the client, never as a path: busboy has already cut it to
 * its base name (a browser's `C:\fakepath\`, `../` and directories go). A name that breaks the
 * text-field rules (control characters, invalid UTF-8, bidi overrides, too long) is dropped to
 * null rather than refusing the photo, which is judged on its content; `index` identifies it.
 * The name is only echoed in the JSON answer, never stored or logged.
 */
export function uploadFilename(raw: string | undefined): string | null {
  if (!raw) return null;
  const checked = checkText(raw, FILENAME_RULE, 'filename');
  return checked.ok ? checked.value : null;
}

interface Photo {
  readonly filename: string | null;
  readonly bytes: Buffer;
}

export function toFace(gallery: Gallery, face: FaceRecord): FaceType {
  const { warnings, ...quality } = face.quality;
  return {
    id: face.id,
    personId: face.personId,
    sourceSha256: face.sourceSha256,
    quality: { ...quality, reasons: [...quality.reasons], ...(warnings ? { warnings: [...warnings] } : {}) },
    createdAt: face.createdAt,
    matchable: gallery.hasTemplate(face.id),
  };
}

function requireFace(gallery: Gallery, personId: string, faceId: string): FaceRecord {
  requirePerson(gallery, personId);
  const face = gallery.face(faceId);
  if (!face || face.personId !== personId) throw new ApiError('face_not_found', `Person ${personId} has no face ${faceId}`);
  return face;
}

/** One photo's result, with the error that rejected it (kept to answer a one-photo upload). */
interface Outcome {
  readonly result: PhotoResultType;
  readonly error: ApiError | null;
}

function rejected(index: number, filename: string | null, error: ApiError): Outcome {
  return { result: { index, filename, status: 'rejected', error: error.toBody().error }, error };
}

export const facesRoutes: FastifyPluginAsyncTypebox<FacesRoutesOptions> = async (app, options) => {
  const { gallery, maxUploadBytes, maxImagePixels, maxPhotosPerUpload } = options;
  const tags = ['faces'];
  // One enrolment at a time: the duplicate checks (same photo, same face as someone else)
  // then see every earlier enrolment, and the embedder's queue stays short for the cameras.
  const enrolments = new SerialQueue();

  // Parsers live in this plugin only, so image bodies are refused (415) on every other route.
  for (const type of PHOTO_MEDIA_TYPES) {
    app.addContentTypeParser(type, { parseAs: 'buffer', bodyLimit: maxUploadBytes }, (_request, body, done) => done(null, body));
  }
  await app.register(multipart, {
    limits: { fileSize: maxUploadBytes, files: maxPhotosPerUpload, parts: maxPhotosPerUpload, fields: 0, headerPairs: 100 },
  });

  async function enrolOne(personId: string, index: number, photo: Photo, force: boolean): Promise<Outcome> {
    try {
      if (photo.bytes.length === 0) throw new ApiError('empty_upload', 'The photo is empty (0 bytes)');
      if (sniffPhotoFormat(photo.bytes) === null) {
        throw new ApiError('unsupported_media_type', 'Photos must be JPEG, PNG or WebP');
      }
      const result: EnrolResult = await enrolments.run(() => gallery.enrolPhoto(personId, photo.bytes, { force, maxPixels: maxImagePixels }));
      const nearestOther = result.nearestOther ? { personId: result.nearestOther.personId, score: result.nearestOther.score } : null;
      return { result: { index, filename: photo.filename, status: 'enrolled', face: toFace(gallery, result.face), nearestOther }, error: null };
    } catch (err) {
      const error = toApiError(err);
      if (error.code === 'internal_error') throw err;
      return rejected(index, photo.filename, error);
    }
  }

  /** Reads and enrols the files one by one, so at most one photo is held in memory. */
  async function enrolMultipart(request: FastifyRequest, personId: string, force: boolean): Promise<Outcome[]> {
    const results: Outcome[] = [];
    try {
      for await (const part of request.files()) {
        const filename = uploadFilename(part.filename);
        let bytes: Buffer;
        try {
          bytes = await part.toBuffer();
        } catch (err) {
          // The stream is spent (e.g. file too large): report this photo and stop reading.
          const error = toApiError(err);
          if (error.code === 'internal_error') throw err;
          results.push(rejected(results.length, filename, error));
          break;
        }
        results.push(await enrolOne(personId, results.length, { filename, bytes }, force));
      }
    } catch (err) {
      // Limits hit between files (too many files, a form field): report it for the next slot.
      const error = toApiError(err);
      if (error.code === 'internal_error' || results.length === 0) throw err;
      results.push(rejected(results.length, null, error));
    }
    return results;
  }

  app.post(
    '/people/:id/faces',
    {
      config: { access: 'admin' },
      bodyLimit: maxUploadBytes,
      schema: {
        tags,
        security: SECURITY,
        summary: 'Enrol reference photos: multipart/form-data (one or several files) or one image/jpeg|png|webp body',
        description:
          'Each photo must show exactly one usable, unmasked face. 201 when at least one photo was enrolled, with one result per ' +
          'photo. When none was: a single photo answers with its own error code, several with photos_rejected.',
        params: PersonParams,
        querystring: UploadQuery,
        response: { 201: UploadReport, ...ERROR_RESPONSES },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      const force = request.query.force ?? false;
      requirePerson(gallery, id);
      let outcomes: Outcome[];
      if (request.isMultipart()) {
        outcomes = await enrolMultipart(request, id, force);
      } else if (Buffer.isBuffer(request.body)) {
        outcomes = [await enrolOne(id, 0, { filename: null, bytes: request.body }, force)];
      } else {
        throw new ApiError('unsupported_media_type', `Send multipart/form-data or one of ${PHOTO_MEDIA_TYPES.join(', ')}`);
      }
      if (outcomes.length === 0) throw new ApiError('empty_upload', 'The upload holds no photo');
      const results = outcomes.map((o) => o.result);
      const enrolled = outcomes.filter((o) => o.error === null).length;
      if (enrolled === 0) {
        if (outcomes.length === 1) throw outcomes[0]!.error!;
        throw new ApiError('photos_rejected', `None of the ${outcomes.length} photos was enrolled`, { results });
      }
      request.log.info({ personId: id, enrolled, rejected: outcomes.length - enrolled, keyId: request.apiKey?.id }, 'photos enrolled');
      return reply.code(201).send({ enrolled, rejected: outcomes.length - enrolled, results });
    },
  );

  app.get(
    '/people/:id/faces',
    {
      config: { access: 'read' },
      schema: {
        tags,
        security: SECURITY,
        summary: "A person's enrolled faces (metadata only, never embeddings or images)",
        params: PersonParams,
        response: { 200: FaceList, ...ERROR_RESPONSES },
      },
    },
    async (request) => {
      requirePerson(gallery, request.params.id);
      return { items: gallery.facesOf(request.params.id).map((f) => toFace(gallery, f)) };
    },
  );

  app.get(
    '/people/:id/faces/:faceId/crop',
    {
      config: { access: 'admin' },
      schema: {
        tags,
        security: SECURITY,
        summary: 'The stored 112x112 aligned crop (PNG), for review and subject-access requests; admin only, never cached',
        params: FaceParams,
        produces: ['image/png'],
        response: {
          200: Type.Unsafe<Buffer>({ type: 'string', format: 'binary', description: 'PNG image' }),
          ...ERROR_RESPONSES,
        },
      },
    },
    async (request, reply) => {
      const face = requireFace(gallery, request.params.id, request.params.faceId);
      const crop = gallery.crop(face.id);
      if (!crop) throw new ApiError('face_not_found', `Face ${face.id} was deleted`);
      return reply.type('image/png').header('cache-control', 'no-store').send(crop);
    },
  );

  app.delete(
    '/people/:id/faces/:faceId',
    {
      config: { access: 'admin' },
      schema: {
        tags,
        security: SECURITY,
        summary: 'Delete one reference photo (crop and templates erased)',
        params: FaceParams,
        response: { 200: FaceDeleted, ...ERROR_RESPONSES },
      },
    },
    async (request) => {
      const face = requireFace(gallery, request.params.id, request.params.faceId);
      gallery.deleteFace(face.id);
      request.log.info({ personId: face.personId, faceId: face.id, keyId: request.apiKey?.id }, 'face deleted');
      return { id: face.id, personId: face.personId };
    },
  );
};
