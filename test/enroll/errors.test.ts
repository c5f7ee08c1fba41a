// The error catalogue and the mapping of thrown errors onto it.
import { describe, expect, it } from 'vitest';
import { EnrolmentError } from '../../access/gallery.js';
import { ApiError, ERROR_CATALOGUE, toApiError } from '../../enroll/errors.js';
import { sniffPhotoFormat } from '../../enroll/photo-format.js';
import { ImageDecodeError } from '../../pipeline/image.js';
import { StoreError } from '../../store/errors.js';

describe('error catalogue', () => {
  it('gives every code a 4xx or 5xx status and a description', () => {
    for (const [code, entry] of Object.entries(ERROR_CATALOGUE)) {
      expect(code).toMatch(/^[a-z_]+$/);
      expect(entry.status).toBeGreaterThanOrEqual(400);
      expect(entry.status).toBeLessThan(600);
      expect(entry.description.length).toBeGreaterThan(10);
    }
  });

  it('builds the one error body shape, with details only when given', () => {
    expect(new ApiError('forbidden', 'no').toBody()).toEqual({ error: { code: 'forbidden', message: 'no' } });
    expect(new ApiError('no_face', 'none', { a: 1 }).toBody()).toEqual({ error: { code: 'no_face', message: 'none', details: { a: 1 } } });
    expect(new ApiError('image_too_large', 'x').status).toBe(413);
  });
});

describe('toApiError', () => {
  it('maps enrolment errors with their details', () => {
    const boxes = [{ x: 1, y: 2, width: 3, height: 4 }];
    expect(toApiError(new EnrolmentError('multiple_faces', 'two', { boxes })).toBody()).toEqual({
      error: { code: 'multiple_faces', message: 'two', details: { boxes } },
    });
    expect(toApiError(new EnrolmentError('duplicate_person', 'dup', { matchedPersonId: 'p', score: 0.9 })).status).toBe(409);
    expect(toApiError(new EnrolmentError('no_face', 'none')).details).toBeUndefined();
  });

  it('maps image, store and framework errors', () => {
    expect(toApiError(new ImageDecodeError('image_too_large', 'big')).code).toBe('image_too_large');
    expect(toApiError(new ImageDecodeError('image_unreadable', 'bad')).code).toBe('image_unreadable');
    expect(toApiError(new StoreError('STORE_CONFLICT', 'taken')).code).toBe('external_id_conflict');
    expect(toApiError(new StoreError('STORE_NOT_FOUND', 'gone')).code).toBe('person_not_found');
    expect(toApiError(Object.assign(new Error('too big'), { code: 'FST_ERR_CTP_BODY_TOO_LARGE', statusCode: 413 })).code).toBe('body_too_large');
    expect(toApiError(Object.assign(new Error('files'), { code: 'FST_FILES_LIMIT' })).code).toBe('too_many_files');
    const validation = toApiError(Object.assign(new Error('body/x must be string'), { validation: [{ instancePath: '/x', message: 'must be string' }], validationContext: 'body' }));
    expect(validation.toBody()).toEqual({
      error: { code: 'validation_failed', message: 'body/x must be string', details: { in: 'body', issues: [{ path: '/x', message: 'must be string' }] } },
    });
  });

  it('hides the message of unexpected errors', () => {
    const mapped = toApiError(new Error('SQLITE_IOERR at /var/lib/maskgate/maskgate.db'));
    expect(mapped.toBody()).toEqual({ error: { code: 'internal_error', message: 'Internal server error' } });
    expect(mapped.status).toBe(500);
    expect(toApiError(new StoreError('STORE_CORRUPT_ROW', 'bad blob')).code).toBe('internal_error');
  });
});

describe('sniffPhotoFormat', () => {
  it('recognises JPEG, PNG and WebP by their bytes and nothing else', () => {
    expect(sniffPhotoFormat(Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 0]))).toBe('jpeg');
    expect(sniffPhotoFormat(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0]))).toBe('png');
    expect(sniffPhotoFormat(Buffer.from('RIFF\x10\x00\x00\x00WEBPVP8 ', 'latin1'))).toBe('webp');
    expect(sniffPhotoFormat(Buffer.from('RIFF\x10\x00\x00\x00WAVEfmt ', 'latin1'))).toBeNull();
    expect(sniffPhotoFormat(Buffer.from('GIF89a'))).toBeNull();
    expect(sniffPhotoFormat(Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"/>'))).toBeNull();
    expect(sniffPhotoFormat(Buffer.from([0xff, 0xd8]))).toBeNull();
    expect(sniffPhotoFormat(Buffer.alloc(0))).toBeNull();
  });
});
