// Faces: one enrolment photo each, kept as the 112x112 aligned crop (PNG) so that a new
// recognition model can re-embed the gallery without anyone having to enrol again.
// The source photo itself is never stored; only its SHA-256, to spot duplicate uploads.
import { createHash, randomUUID } from 'node:crypto';
import type { QualityReport } from '../pipeline/types.js';
import { assertSecureDelete, truncateWal, type Database } from './database.js';
import { isForeignKeyViolation, StoreError } from './errors.js';

export interface FaceRecord {
  readonly id: string;
  readonly personId: string;
  /** SHA-256 (lower-case hex) of the stored PNG crop. */
  readonly cropSha256: string;
  /** SHA-256 (lower-case hex) of the uploaded source image the crop was cut from. */
  readonly sourceSha256: string;
  readonly quality: QualityReport;
  readonly createdAt: number;
}

export interface NewFace {
  /** Set only by replication, which keeps the authority's id; otherwise a random UUID. */
  readonly id?: string;
  readonly personId: string;
  /** PNG-encoded 112x112 aligned crop. */
  readonly alignedCropPng: Uint8Array;
  readonly sourceSha256: string;
  readonly quality: QualityReport;
}

/** A face that still needs a template for some model. */
export interface FaceRef {
  readonly faceId: string;
  readonly personId: string;
}

export interface FaceDeletionReport {
  readonly found: boolean;
  readonly templatesDeleted: number;
  /** See PersonDeletionReport.walTruncated. */
  readonly walTruncated: boolean;
}

interface FaceRow {
  id: string;
  person_id: string;
  crop_sha256: string;
  source_sha256: string;
  quality: string;
  created_at: number;
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
/** A 112x112 RGB PNG is at most ~38 KB even uncompressed; anything far larger is not a crop. */
export const MAX_CROP_BYTES = 256 * 1024;
const SHA256_HEX = /^[0-9a-f]{64}$/;
// aligned_crop is not in this list on purpose: metadata reads must not page in the PNGs.
const METADATA_COLUMNS = 'id, person_id, crop_sha256, source_sha256, quality, created_at';

export class FacesRepository {
  private readonly insertStatement;
  private readonly byIdStatement;
  private readonly cropStatement;
  private readonly byPersonStatement;
  private readonly countByPersonStatement;
  private readonly bySourceStatement;
  private readonly missingTemplateStatement;
  private readonly countTemplatesStatement;
  private readonly deleteStatement;

  constructor(
    private readonly db: Database,
    private readonly now: () => number = Date.now,
  ) {
    assertSecureDelete(db);
    this.insertStatement = db.prepare<[FaceRow & { aligned_crop: Buffer }]>(
      `INSERT INTO faces (${METADATA_COLUMNS}, aligned_crop)
       VALUES (@id, @person_id, @crop_sha256, @source_sha256, @quality, @created_at, @aligned_crop)`,
    );
    this.byIdStatement = db.prepare<[string], FaceRow>(`SELECT ${METADATA_COLUMNS} FROM faces WHERE id = ?`);
    this.cropStatement = db.prepare<[string], Buffer>('SELECT aligned_crop FROM faces WHERE id = ?').pluck();
    this.byPersonStatement = db.prepare<[string], FaceRow>(
      `SELECT ${METADATA_COLUMNS} FROM faces WHERE person_id = ? ORDER BY created_at, rowid`,
    );
    this.countByPersonStatement = db.prepare<[string], number>(
      'SELECT COUNT(*) FROM faces WHERE person_id = ?',
    ).pluck();
    this.bySourceStatement = db.prepare<[string, string], FaceRow>(
      `SELECT ${METADATA_COLUMNS} FROM faces WHERE person_id = ? AND source_sha256 = ? LIMIT 1`,
    );
    this.missingTemplateStatement = db.prepare<[string, number], { faceId: string; personId: string }>(
      `SELECT f.id AS faceId, f.person_id AS personId FROM faces f
       WHERE NOT EXISTS (SELECT 1 FROM templates t WHERE t.face_id = f.id AND t.model_id = ?)
       ORDER BY f.rowid LIMIT ?`,
    );
    this.countTemplatesStatement = db.prepare<[string], number>(
      'SELECT COUNT(*) FROM templates WHERE face_id = ?',
    ).pluck();
    this.deleteStatement = db.prepare<[string]>('DELETE FROM faces WHERE id = ?');
  }

  /** Throws STORE_NOT_FOUND when the person does not exist, STORE_INVALID_INPUT for a non-PNG crop. */
  insert(face: NewFace): FaceRecord {
    const crop = validCrop(face.alignedCropPng);
    const row: FaceRow = {
      id: face.id ?? randomUUID(),
      person_id: face.personId,
      crop_sha256: createHash('sha256').update(crop).digest('hex'),
      source_sha256: validSha256(face.sourceSha256),
      quality: JSON.stringify(face.quality),
      created_at: this.now(),
    };
    try {
      this.insertStatement.run({ ...row, aligned_crop: crop });
    } catch (error) {
      if (isForeignKeyViolation(error)) {
        throw new StoreError('STORE_NOT_FOUND', `no person with id ${face.personId}`, { cause: error });
      }
      throw error;
    }
    return toRecord(row);
  }

  get(id: string): FaceRecord | null {
    const row = this.byIdStatement.get(id);
    return row ? toRecord(row) : null;
  }

  /** The stored PNG crop, or null for an unknown face. */
  getCrop(id: string): Buffer | null {
    return this.cropStatement.get(id) ?? null;
  }

  listByPerson(personId: string): FaceRecord[] {
    return this.byPersonStatement.all(personId).map(toRecord);
  }

  countByPerson(personId: string): number {
    return this.countByPersonStatement.get(personId) ?? 0;
  }

  /** The face already enrolled for this person from the same source image, if any. */
  findBySource(personId: string, sourceSha256: string): FaceRecord | null {
    const row = this.bySourceStatement.get(personId, sourceSha256);
    return row ? toRecord(row) : null;
  }

  /**
   * Up to `limit` faces with no template for `modelId`, for re-embedding after a model change.
   * Returns a plain array rather than an iterator: the caller embeds asynchronously and writes
   * templates in between, which an open SQLite read cursor would block.
   */
  listMissingTemplate(modelId: string, limit: number): FaceRef[] {
    return this.missingTemplateStatement.all(modelId, Math.max(1, Math.floor(limit)));
  }

  /** Removes one face with its crop and templates, then truncates the WAL (see PeopleRepository.delete). */
  delete(id: string): FaceDeletionReport {
    const removed = this.db.transaction(() => {
      const templatesDeleted = this.countTemplatesStatement.get(id) ?? 0;
      const { changes } = this.deleteStatement.run(id);
      return { found: changes > 0, templatesDeleted: changes > 0 ? templatesDeleted : 0 };
    })();
    return { ...removed, walTruncated: removed.found ? truncateWal(this.db) : true };
  }
}

function toRecord(row: FaceRow): FaceRecord {
  return {
    id: row.id,
    personId: row.person_id,
    cropSha256: row.crop_sha256,
    sourceSha256: row.source_sha256,
    quality: JSON.parse(row.quality) as QualityReport,
    createdAt: row.created_at,
  };
}

function validCrop(png: Uint8Array): Buffer {
  if (!(png instanceof Uint8Array)) throw new StoreError('STORE_INVALID_INPUT', 'aligned crop must be bytes');
  const crop = Buffer.from(png.buffer, png.byteOffset, png.byteLength);
  if (crop.byteLength > MAX_CROP_BYTES) {
    throw new StoreError('STORE_INVALID_INPUT', `aligned crop is ${crop.byteLength} bytes; at most ${MAX_CROP_BYTES}`);
  }
  if (crop.byteLength <= PNG_SIGNATURE.length || !crop.subarray(0, PNG_SIGNATURE.length).equals(PNG_SIGNATURE)) {
    throw new StoreError('STORE_INVALID_INPUT', 'aligned crop is not a PNG');
  }
  return crop;
}

function validSha256(hex: string): string {
  if (typeof hex !== 'string' || !SHA256_HEX.test(hex)) {
    throw new StoreError('STORE_INVALID_INPUT', 'source sha256 must be 64 lower-case hex characters');
  }
  return hex;
}
