// Templates: one embedding per face per model version. Keyed by model so a model upgrade can
// re-embed the gallery next to the old templates and switch over without a gap.
// Embeddings are stored exactly as the model produced them (not normalised); the matcher
// normalises on load, so a change of similarity measure never requires a data migration.
import { assertSecureDelete, truncateWal, type Database } from './database.js';
import { decodeEmbedding, encodeEmbedding } from './embedding-blob.js';
import { isForeignKeyViolation, StoreError } from './errors.js';

export interface NewTemplate {
  readonly faceId: string;
  readonly modelId: string;
  readonly embedding: Float32Array;
}

export interface TemplateRecord {
  readonly faceId: string;
  readonly modelId: string;
  readonly dimension: number;
  readonly embedding: Float32Array;
  readonly createdAt: number;
}

/** One row of the in-memory gallery: what GalleryMatcher consumes. */
export interface GalleryTemplate {
  readonly faceId: string;
  readonly personId: string;
  readonly embedding: Float32Array;
}

export interface ModelTemplateCount {
  readonly modelId: string;
  readonly templates: number;
}

interface TemplateRow {
  face_id: string;
  model_id: string;
  dimension: number;
  embedding: Buffer;
  created_at: number;
}

export const MAX_EMBEDDING_DIMENSION = 8192;

export class TemplatesRepository {
  private readonly upsertStatement;
  private readonly getStatement;
  private readonly activeGalleryStatement;
  private readonly countStatement;
  private readonly countActiveStatement;
  private readonly modelsStatement;
  private readonly deleteModelStatement;

  constructor(
    private readonly db: Database,
    private readonly now: () => number = Date.now,
  ) {
    assertSecureDelete(db);
    this.upsertStatement = db.prepare<[TemplateRow]>(
      `INSERT INTO templates (face_id, model_id, dimension, created_at, embedding)
       VALUES (@face_id, @model_id, @dimension, @created_at, @embedding)
       ON CONFLICT (face_id, model_id) DO UPDATE
         SET dimension = excluded.dimension, created_at = excluded.created_at, embedding = excluded.embedding`,
    );
    this.getStatement = db.prepare<[string, string], TemplateRow>(
      `SELECT face_id, model_id, dimension, created_at, embedding FROM templates
       WHERE face_id = ? AND model_id = ?`,
    );
    this.activeGalleryStatement = db.prepare<
      [string],
      { faceId: string; personId: string; dimension: number; embedding: Buffer }
    >(
      `SELECT t.face_id AS faceId, f.person_id AS personId, t.dimension AS dimension, t.embedding AS embedding
       FROM templates t
       JOIN faces f ON f.id = t.face_id
       JOIN people p ON p.id = f.person_id
       WHERE t.model_id = ? AND p.active = 1`,
    );
    this.countStatement = db.prepare<[string], number>('SELECT COUNT(*) FROM templates WHERE model_id = ?').pluck();
    this.countActiveStatement = db.prepare<[string], number>(
      `SELECT COUNT(*) FROM templates t
       JOIN faces f ON f.id = t.face_id JOIN people p ON p.id = f.person_id
       WHERE t.model_id = ? AND p.active = 1`,
    ).pluck();
    this.modelsStatement = db.prepare<[], ModelTemplateCount>(
      'SELECT model_id AS modelId, COUNT(*) AS templates FROM templates GROUP BY model_id ORDER BY model_id',
    );
    this.deleteModelStatement = db.prepare<[string]>('DELETE FROM templates WHERE model_id = ?');
  }

  /**
   * Stores (or replaces) the embedding of `faceId` under `modelId`.
   * Throws STORE_NOT_FOUND for an unknown face and STORE_INVALID_INPUT for an empty,
   * oversized or non-finite embedding.
   */
  upsert(template: NewTemplate): void {
    validEmbedding(template.embedding);
    if (typeof template.modelId !== 'string' || template.modelId.length === 0) {
      throw new StoreError('STORE_INVALID_INPUT', 'model id must be a non-empty string');
    }
    try {
      this.upsertStatement.run({
        face_id: template.faceId,
        model_id: template.modelId,
        dimension: template.embedding.length,
        created_at: this.now(),
        embedding: encodeEmbedding(template.embedding),
      });
    } catch (error) {
      if (isForeignKeyViolation(error)) {
        throw new StoreError('STORE_NOT_FOUND', `no face with id ${template.faceId}`, { cause: error });
      }
      throw error;
    }
  }

  get(faceId: string, modelId: string): TemplateRecord | null {
    const row = this.getStatement.get(faceId, modelId);
    if (!row) return null;
    return {
      faceId: row.face_id,
      modelId: row.model_id,
      dimension: row.dimension,
      embedding: decodeEmbedding(row.embedding, row.dimension),
      createdAt: row.created_at,
    };
  }

  /**
   * Every template of `modelId` that belongs to an active person, in no particular order.
   * Consume it synchronously: while the underlying cursor is open, better-sqlite3 refuses
   * writes on this connection.
   */
  *loadAll(modelId: string): Iterable<GalleryTemplate> {
    for (const row of this.activeGalleryStatement.iterate(modelId)) {
      yield { faceId: row.faceId, personId: row.personId, embedding: decodeEmbedding(row.embedding, row.dimension) };
    }
  }

  count(modelId: string, options: { activeOnly?: boolean } = {}): number {
    return (options.activeOnly ? this.countActiveStatement : this.countStatement).get(modelId) ?? 0;
  }

  /** Which models have templates, and how many: tells the daemon whether a re-embed is complete. */
  models(): ModelTemplateCount[] {
    return this.modelsStatement.all();
  }

  /** Drops every template of a retired model, then truncates the WAL. */
  deleteModel(modelId: string): { deleted: number; walTruncated: boolean } {
    const { changes } = this.deleteModelStatement.run(modelId);
    return { deleted: changes, walTruncated: changes > 0 ? truncateWal(this.db) : true };
  }
}

function validEmbedding(embedding: Float32Array): void {
  if (!(embedding instanceof Float32Array)) {
    throw new StoreError('STORE_INVALID_INPUT', 'embedding must be a Float32Array');
  }
  if (embedding.length === 0 || embedding.length > MAX_EMBEDDING_DIMENSION) {
    throw new StoreError('STORE_INVALID_INPUT', `embedding dimension must be 1..${MAX_EMBEDDING_DIMENSION}`);
  }
  for (let i = 0; i < embedding.length; i++) {
    if (!Number.isFinite(embedding[i])) {
      throw new StoreError('STORE_INVALID_INPUT', `embedding value ${i} is not finite`);
    }
  }
}
