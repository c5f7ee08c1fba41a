// The enrolled gallery as one service: SQLite is the record, the in-memory matcher the index.
// Enrolment (CLI, HTTP API, demo), deletion and the camera loop all go through here, so the
// matcher sees every change at once and no caller can update one without the other: the
// repositories are private, readers get read methods, writers the methods that keep both in step.
import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import { CodedError } from '../pipeline/coded-error.js';
import type { FaceAnalyzer, AnalyzedFace } from '../pipeline/face-analyzer.js';
import { decodeImage } from '../pipeline/image.js';
import { encodePng } from '../pipeline/image.js';
import { GalleryMatcher, type CodedSearchOptions, type GalleryScanner, type Match } from '../pipeline/matcher.js';
import type { AnnSearch } from '../pipeline/ann-search.js';
import type { Box, QualityRejection } from '../pipeline/types.js';
import type { Database } from '../store/database.js';
import { FacesRepository, type FaceRecord, type FaceRef } from '../store/faces-repository.js';
import {
  PeopleRepository,
  type ListPeopleOptions,
  type PersonDeletionReport,
  type PersonRecord,
  type PersonUpdate,
} from '../store/people-repository.js';
import { TemplatesRepository, type GalleryTemplate } from '../store/templates-repository.js';
import { StoreError } from '../store/errors.js';
import type { GallerySearch, PersonDirectory } from './track-decider.js';

export type EnrolmentErrorCode =
  | 'person_not_found'
  | 'no_face'
  | 'multiple_faces'
  | 'quality_rejected'
  | 'duplicate_person'
  | 'duplicate_photo';

export class EnrolmentError extends CodedError<EnrolmentErrorCode> {
  constructor(
    code: EnrolmentErrorCode,
    message: string,
    readonly details: {
      boxes?: Box[];
      reasons?: readonly QualityRejection[];
      matchedPersonId?: string;
      score?: number;
      faceId?: string;
    } = {},
  ) {
    super(code, message);
  }
}

export interface EnrolOptions {
  /** Accept a photo that matches a different enrolled person above the threshold. */
  readonly force?: boolean;
  readonly maxPixels?: number;
}

export interface EnrolResult {
  readonly face: FaceRecord;
  /** Best score against other people at enrolment time (duplicate check), if any. */
  readonly nearestOther: Match | null;
}

/** A face as replication delivers it: the authority's id and crop, embedded here with this appliance's model. */
export interface ImportedFace {
  readonly id: string;
  readonly alignedCropPng: Uint8Array;
  readonly sourceSha256: string;
  readonly quality: FaceRecord['quality'];
  /** Null when the crop could not be embedded here: the face is kept and re-embedding retries it. */
  readonly embedding: Float32Array | null;
}

export interface ImportedPerson {
  readonly id: string;
  readonly displayName: string;
  readonly externalId: string | null;
  readonly active: boolean;
}

/**
 * From this many templates on, a decision's search runs on the scanner (onnxruntime, off the
 * event loop): the JavaScript scan blocks the loop 0.2-0.4 ms per 1,000 templates of 512-D
 * (docs/performance.md), so 10,000 is where it would start to delay MQTT and the API by more
 * than a couple of milliseconds; below it the scanner's call overhead is not worth it.
 */
export const ASYNC_SEARCH_MIN_TEMPLATES = 10_000;

/**
 * What answered a decision's search: `scan` the synchronous scan (a small gallery), `coded` the
 * int8 codes with their proof, `float32` the worker's float32 scan (the proof did not hold, or the
 * coded scan is off), `index` the HNSW index's re-ranked answer.
 */
export type DecisionSearchMethod = 'scan' | 'coded' | 'float32' | 'index';

export class Gallery implements GallerySearch, PersonDirectory {
  private readonly people: PeopleRepository;
  private readonly faces: FacesRepository;
  private readonly templates: TemplatesRepository;
  private matcher: GalleryMatcher;
  private scanner: GalleryScanner | null = null;
  private index: AnnSearch | null = null;
  private indexMinTemplates = Number.POSITIVE_INFINITY;
  private confirmBelow: (() => number) | null = null;
  private readonly searchCounts: Record<DecisionSearchMethod, number> = { scan: 0, coded: 0, float32: 0, index: 0 };

  /**
   * With `codedScan`, the matcher also keeps int8 codes of its rows and a campus-sized exact
   * search tries them first (GalleryMatcher.searchCoded): a quarter of the bytes of the float32
   * scan, answered only when provably the exact scan's; else the float32 scan answers.
   */
  constructor(
    private readonly db: Database,
    private readonly analyzer: FaceAnalyzer,
    private readonly duplicateThreshold: () => number,
    private readonly logger: Logger,
    private readonly codedScan: CodedSearchOptions | null = null,
  ) {
    this.people = new PeopleRepository(db);
    this.faces = new FacesRepository(db);
    this.templates = new TemplatesRepository(db);
    this.matcher = this.loadMatcher();
  }

  get modelId(): string {
    return this.analyzer.modelId;
  }

  get size(): number {
    return this.matcher.size;
  }

  /** Rebuilds the in-memory index from SQLite (after a model switch or bulk change). */
  reload(): void {
    this.matcher = this.loadMatcher();
    this.indexIfLarge();
  }

  /** How the decision path's searches were answered since start-up (a metric: operators watch `float32`). */
  get decisionSearches(): Readonly<Record<DecisionSearchMethod, number>> {
    return this.searchCounts;
  }

  private loadMatcher(): GalleryMatcher {
    // Shared rows: the decision path's scanner reads them from its worker thread in place.
    const matcher = GalleryMatcher.loadFrom(this.templates, this.analyzer.modelId, this.analyzer.dimension, {
      sharedRows: true,
      codedRows: this.codedScan !== null,
    });
    this.logger.info({ modelId: this.analyzer.modelId, templates: matcher.size, people: matcher.personCount }, 'gallery loaded');
    // A campus-sized gallery's coded-scan helpers get their blocks now, not at the first decision.
    if (this.codedScan?.helpers?.length && matcher.size >= ASYNC_SEARCH_MIN_TEMPLATES) {
      matcher.prepareCodedScan(this.codedScan).catch((err: unknown) => this.logger.warn({ err: (err as Error).message }, 'coded scan helpers not prepared'));
    }
    return matcher;
  }

  /** Synchronous search (enrolment checks, tools): the JavaScript scan. */
  search(probe: Float32Array, k: number): Match[] {
    return this.matcher.search(probe, k);
  }

  /** Campus-sized galleries: decisions search with `scanner` (e.g. OnnxGalleryScanner) off the event loop. */
  useScanner(scanner: GalleryScanner | null): void {
    this.scanner = scanner;
  }

  /**
   * Campus-sized galleries: from `minTemplates` on, decisions search `index` (HNSW candidates,
   * exact float32 re-rank). It is built in the background; the exact scan serves until it is
   * ready, and again whenever it cannot answer. With `confirmBelow`, an index answer whose best
   * score is under that bound (a denial at any door whose threshold is at most the bound) is
   * checked with the exact scan: the index can miss a genuine person, never invent one, so
   * grants stay fast and every denial is the exact scan's.
   */
  useIndex(index: AnnSearch | null, minTemplates: number, confirmBelow: (() => number) | null = null): void {
    this.index = index;
    this.indexMinTemplates = minTemplates;
    this.confirmBelow = confirmBelow;
    this.indexIfLarge();
  }

  /**
   * The decision path's search: the index once the gallery is campus-sized and the index built,
   * else the exact scan (on the scanner once the gallery is large, synchronous while small).
   */
  searchForDecision(probe: Float32Array, k: number): Match[] | Promise<Match[]> {
    const matcher = this.matcher;
    if (!this.scanner || matcher.size < ASYNC_SEARCH_MIN_TEMPLATES) {
      this.searchCounts.scan++;
      return matcher.search(probe, k);
    }
    this.indexIfLarge();
    if (this.index?.serves(matcher)) return this.index.search(probe, k).then((found) => this.confirmed(found, matcher, probe, k));
    return this.exactSearch(matcher, probe, k);
  }

  /** The index's answer, or the exact scan's when the index could not answer or would deny. */
  private confirmed(found: Match[] | null, matcher: GalleryMatcher, probe: Float32Array, k: number): Match[] | Promise<Match[]> {
    if (!found) return this.exactSearch(matcher, probe, k);
    if (this.confirmBelow && (found[0]?.score ?? Number.NEGATIVE_INFINITY) < this.confirmBelow()) return this.exactSearch(matcher, probe, k);
    this.searchCounts.index++;
    return found;
  }

  /** The exact scan's answer: from the int8 codes when they can prove it, else the float32 scan. */
  private async exactSearch(matcher: GalleryMatcher, probe: Float32Array, k: number): Promise<Match[]> {
    if (this.codedScan) {
      const proven = await matcher.searchCoded(probe, k, this.codedScan);
      if (proven) {
        this.searchCounts.coded++;
        return proven;
      }
    }
    this.searchCounts.float32++;
    const [matches] = await matcher.searchBatch([probe], k, this.scanner!);
    return matches!;
  }

  /** Starts building the index for the current gallery once it is large enough (a gallery grows). */
  private indexIfLarge(): void {
    if (this.index && this.matcher.size >= this.indexMinTemplates && !this.index.follows(this.matcher)) this.index.attach(this.matcher);
  }

  lookup(personId: string): { displayName: string; active: boolean } | undefined {
    return this.people.get(personId) ?? undefined;
  }

  // Reads. They go straight to the store; nothing here changes what the matcher holds.

  person(personId: string): PersonRecord | null {
    return this.people.get(personId);
  }

  /** A page of people, oldest first; with `text`, those whose name or external id contains it. */
  listPeople(page: Pick<ListPeopleOptions, 'limit' | 'offset'>, text?: string): PersonRecord[] {
    return text === undefined ? this.people.list(page) : this.people.search(text, page);
  }

  countPeople(text?: string): number {
    return text === undefined ? this.people.count() : this.people.countSearch(text);
  }

  face(faceId: string): FaceRecord | null {
    return this.faces.get(faceId);
  }

  facesOf(personId: string): FaceRecord[] {
    return this.faces.listByPerson(personId);
  }

  faceCount(personId: string): number {
    return this.faces.countByPerson(personId);
  }

  /** The stored aligned crop (PNG), or null once the face is deleted. */
  crop(faceId: string): Buffer | null {
    return this.faces.getCrop(faceId);
  }

  /** Whether the face has a template for the current model (so it can match). */
  hasTemplate(faceId: string): boolean {
    return this.templates.get(faceId, this.analyzer.modelId) !== null;
  }

  /** Templates of active people for the current model. */
  currentTemplates(): Iterable<GalleryTemplate> {
    return this.templates.loadAll(this.analyzer.modelId);
  }

  /** Faces with no template for the current model (after a model change), for re-embedding. */
  facesMissingTemplate(): FaceRef[] {
    return this.faces.listMissingTemplate(this.analyzer.modelId, Number.MAX_SAFE_INTEGER);
  }

  // Writes: each keeps the store and the matcher in step.

  /**
   * Enrols one reference photo: exactly one usable face, not already enrolled for this person,
   * not matching a different person (unless forced). Stores the aligned crop, its hashes and
   * the template in one transaction, then adds it to the matcher.
   */
  async enrolPhoto(personId: string, photo: Uint8Array, options: EnrolOptions = {}): Promise<EnrolResult> {
    const person = this.people.get(personId);
    if (!person) throw new EnrolmentError('person_not_found', `No person with id ${personId}`);
    const sourceSha256 = createHash('sha256').update(photo).digest('hex');
    const existing = this.faces.findBySource(personId, sourceSha256);
    if (existing) {
      throw new EnrolmentError('duplicate_photo', 'This photo is already enrolled for this person', { faceId: existing.id });
    }
    const image = await decodeImage(photo, options.maxPixels !== undefined ? { maxPixels: options.maxPixels } : {});
    const face = singleUsableFace(await this.analyzer.analyze(image, { padded: true, profile: 'photo' }));
    const embedding = face.embedding!;

    const nearestOther = this.matcher.search(embedding, 2).find((m) => m.personId !== personId) ?? null;
    if (nearestOther && nearestOther.score >= this.duplicateThreshold() && !options.force) {
      throw new EnrolmentError(
        'duplicate_person',
        `This face matches another enrolled person (${nearestOther.personId}) at ${nearestOther.score.toFixed(3)}; enrol with force to override`,
        { matchedPersonId: nearestOther.personId, score: nearestOther.score },
      );
    }
    const alignedCropPng = await encodePng(face.aligned);
    const record = this.db.transaction(() => {
      const inserted = this.faces.insert({ personId, alignedCropPng, sourceSha256, quality: face.quality });
      this.templates.upsert({ faceId: inserted.id, modelId: this.analyzer.modelId, embedding });
      return inserted;
    })();
    // Re-read: the person may have been deactivated while the photo was being analysed.
    if (this.people.get(personId)?.active) this.matcher.add({ faceId: record.id, personId, embedding });
    this.logger.info({ personId, faceId: record.id }, 'face enrolled');
    return { face: record, nearestOther };
  }

  /**
   * Stores the current model's template for a face enrolled earlier (re-embedding after a model
   * change) and makes it matchable at once when its person is active. Throws StoreError
   * STORE_NOT_FOUND when the face has been deleted meanwhile.
   */
  addTemplate(faceId: string, embedding: Float32Array): void {
    const face = this.faces.get(faceId);
    if (!face) throw new StoreError('STORE_NOT_FOUND', `no face with id ${faceId}`);
    this.templates.upsert({ faceId, modelId: this.analyzer.modelId, embedding });
    if (this.people.get(face.personId)?.active && !this.matcher.has(faceId)) {
      this.matcher.add({ faceId, personId: face.personId, embedding });
    }
  }

  /** A new person has no face yet, so the matcher has nothing to learn. */
  createPerson(displayName: string, externalId: string | null = null, active = true): PersonRecord {
    return this.people.create({ displayName, externalId, active });
  }

  /** Name and external id; activation goes through setActive, which the matcher follows. */
  updatePerson(personId: string, changes: Omit<PersonUpdate, 'active'>): PersonRecord {
    return this.people.update(personId, { displayName: changes.displayName, externalId: changes.externalId });
  }

  /** Activation changes who can match: the matcher follows the store. */
  setActive(personId: string, active: boolean): PersonRecord {
    const updated = this.people.update(personId, { active });
    this.matcher.removePerson(personId);
    if (active) {
      for (const t of this.currentTemplates()) {
        if (t.personId === personId) this.matcher.add(t);
      }
    }
    return updated;
  }

  deleteFace(faceId: string): boolean {
    const report = this.faces.delete(faceId);
    this.matcher.removeFace(faceId);
    return report.found;
  }

  /**
   * Makes a person exactly what replication says (replication/replica.ts): the record, the faces
   * listed in `faceIds` (others are deleted), `newFaces` inserted with this model's templates.
   * `within` runs in the same transaction (the replica's bookkeeping), so a crash never leaves
   * a change half applied. Returns how many faces were removed: the caller then scrubs the WAL.
   */
  importPerson(person: ImportedPerson, faceIds: readonly string[], newFaces: readonly ImportedFace[], within: () => void): { facesRemoved: number } {
    const keep = new Set(faceIds);
    const facesRemoved = this.db.transaction(() => {
      const { id, displayName, externalId, active } = person;
      if (this.people.get(id)) this.people.update(id, { displayName, externalId, active });
      else this.people.create({ id, displayName, externalId, active });
      let removed = 0;
      for (const face of this.faces.listByPerson(id)) {
        if (!keep.has(face.id)) removed += this.faces.delete(face.id).found ? 1 : 0;
      }
      for (const face of newFaces) {
        if (this.faces.get(face.id)) continue;
        this.faces.insert({ id: face.id, personId: id, alignedCropPng: face.alignedCropPng, sourceSha256: face.sourceSha256, quality: face.quality });
        if (face.embedding) this.templates.upsert({ faceId: face.id, modelId: this.analyzer.modelId, embedding: face.embedding });
      }
      within();
      return removed;
    })();
    this.matcher.removePerson(person.id);
    if (person.active) {
      for (const face of this.faces.listByPerson(person.id)) {
        const template = this.templates.get(face.id, this.analyzer.modelId);
        if (template) this.matcher.add({ faceId: face.id, personId: person.id, embedding: template.embedding });
      }
    }
    return { facesRemoved };
  }

  /** Forgets a person: faces, crops and templates go in one transaction; the matcher at once. */
  deletePerson(personId: string): PersonDeletionReport {
    const report = this.people.delete(personId);
    this.matcher.removePerson(personId);
    if (report.found) this.logger.info({ personId, faces: report.facesDeleted }, 'person deleted');
    return report;
  }
}

function singleUsableFace(faces: readonly AnalyzedFace[]): AnalyzedFace {
  if (faces.length === 0) throw new EnrolmentError('no_face', 'No face was found in the photo');
  if (faces.length > 1) {
    throw new EnrolmentError('multiple_faces', `The photo shows ${faces.length} faces; enrolment needs exactly one`, {
      boxes: faces.map((f) => f.detection.box),
    });
  }
  const [face] = faces as [AnalyzedFace];
  if (!face.embedding) {
    throw new EnrolmentError('quality_rejected', `The face is not usable for enrolment: ${face.quality.reasons.join(', ')}`, {
      reasons: face.quality.reasons,
      boxes: [face.detection.box],
    });
  }
  return face;
}
