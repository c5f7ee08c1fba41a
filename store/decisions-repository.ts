// Decisions: the audit trail of every verdict sent to a door. Rows hold identifiers, scores and
// the threshold in force, never biometric data, and keep the person id after the person is
// deleted (see docs/data-model.md).
import type BetterSqlite3 from 'better-sqlite3';
import { serialiseAuditPayload, type JsonObject } from './audit-payload.js';
import type { Database } from './database.js';
import { isUniqueViolation, StoreError } from './errors.js';
import { pageOffset, pageSize } from './paging.js';

export type DecisionOutcome = 'grant' | 'deny' | 'unknown';
export const DECISION_OUTCOMES: readonly DecisionOutcome[] = ['grant', 'deny', 'unknown'];

export interface NewDecision {
  /** The event id, shared with the MQTT message that carried the verdict. */
  readonly id: string;
  /** When the pipeline reached the verdict (ms since epoch). */
  readonly decidedAt: number;
  readonly cameraId: string;
  readonly doorId: string;
  readonly trackId: string | null;
  readonly outcome: DecisionOutcome;
  /** The matched person, or null when nobody matched. */
  readonly personId: string | null;
  /** Best cosine similarity, or null when there was nothing to compare (empty gallery). */
  readonly score: number | null;
  readonly threshold: number;
  readonly modelId: string;
  /** Whether the face was judged masked; null when unknown. */
  readonly masked: boolean | null;
  /** When a grant stops being valid at the door; null for verdicts that do not expire. */
  readonly expiresAt: number | null;
  /** Extra, non-biometric context (liveness result, track length, ...). */
  readonly payload: JsonObject;
}

export interface DecisionRecord extends NewDecision {
  /** When the row was written. */
  readonly createdAt: number;
}

export interface DecisionFilter {
  readonly doorId?: string;
  readonly cameraId?: string;
  readonly personId?: string;
  readonly outcome?: DecisionOutcome;
  /** Inclusive lower bound on decidedAt. */
  readonly from?: number;
  /** Exclusive upper bound on decidedAt. */
  readonly to?: number;
}

export interface DecisionQuery extends DecisionFilter {
  /** Default 100, at most 1000. */
  readonly limit?: number;
  readonly offset?: number;
}

interface DecisionRow {
  id: string;
  created_at: number;
  decided_at: number;
  camera_id: string;
  door_id: string;
  track_id: string | null;
  outcome: DecisionOutcome;
  person_id: string | null;
  score: number | null;
  threshold: number;
  model_id: string;
  masked: number | null;
  expires_at: number | null;
  payload: string;
}

type FilterKey = keyof DecisionFilter;
type FilterParams = Partial<Record<FilterKey, string | number>>;

const COLUMNS =
  'id, created_at, decided_at, camera_id, door_id, track_id, outcome, person_id, score, threshold, model_id, masked, expires_at, payload';
const FILTER_SQL: Record<FilterKey, string> = {
  doorId: 'door_id = @doorId',
  cameraId: 'camera_id = @cameraId',
  personId: 'person_id = @personId',
  outcome: 'outcome = @outcome',
  from: 'decided_at >= @from',
  to: 'decided_at < @to',
};
const FILTER_KEYS = Object.keys(FILTER_SQL) as FilterKey[];
const MAX_ID_LENGTH = 200;

export class DecisionsRepository {
  private readonly insertStatement;
  private readonly byIdStatement;
  private readonly pruneStatement;
  private readonly anonymiseStatement;
  // One statement per combination of filters present (at most 2^6 per kind), prepared on first
  // use and reused: a single catch-all "(? IS NULL OR col = ?)" statement would defeat the indices.
  private readonly queryStatements = new Map<string, BetterSqlite3.Statement<[FilterParams & { limit: number; offset: number }], DecisionRow>>();
  private readonly countStatements = new Map<string, BetterSqlite3.Statement<[FilterParams], number>>();

  constructor(
    private readonly db: Database,
    private readonly now: () => number = Date.now,
  ) {
    this.insertStatement = db.prepare<[DecisionRow]>(
      `INSERT INTO decisions (${COLUMNS})
       VALUES (@id, @created_at, @decided_at, @camera_id, @door_id, @track_id, @outcome, @person_id, @score,
               @threshold, @model_id, @masked, @expires_at, @payload)`,
    );
    this.byIdStatement = db.prepare<[string], DecisionRow>(`SELECT ${COLUMNS} FROM decisions WHERE id = ?`);
    this.pruneStatement = db.prepare<[number]>('DELETE FROM decisions WHERE decided_at < ?');
    this.anonymiseStatement = db.prepare<[string]>('UPDATE decisions SET person_id = NULL WHERE person_id = ?');
  }

  /** Throws STORE_CONFLICT for a repeated event id, STORE_BIOMETRIC_IN_AUDIT for a suspicious payload. */
  insert(decision: NewDecision): DecisionRecord {
    const row = toRow(decision, this.now());
    try {
      this.insertStatement.run(row);
    } catch (error) {
      if (isUniqueViolation(error)) {
        throw new StoreError('STORE_CONFLICT', `decision ${decision.id} is already recorded`, { cause: error });
      }
      throw error;
    }
    return toRecord(row);
  }

  get(id: string): DecisionRecord | null {
    const row = this.byIdStatement.get(id);
    return row ? toRecord(row) : null;
  }

  /** Matching decisions, newest first (by decidedAt, then insertion order). */
  query(query: DecisionQuery = {}): DecisionRecord[] {
    const { key, where, params } = compileFilter(query);
    let statement = this.queryStatements.get(key);
    if (!statement) {
      statement = this.db.prepare(
        `SELECT ${COLUMNS} FROM decisions ${where} ORDER BY decided_at DESC, rowid DESC LIMIT @limit OFFSET @offset`,
      );
      this.queryStatements.set(key, statement);
    }
    return statement
      .all({ ...params, limit: pageSize(query.limit), offset: pageOffset(query.offset) })
      .map(toRecord);
  }

  count(filter: DecisionFilter = {}): number {
    const { key, where, params } = compileFilter(filter);
    let statement = this.countStatements.get(key);
    if (!statement) {
      statement = this.db.prepare<[FilterParams], number>(`SELECT COUNT(*) FROM decisions ${where}`).pluck();
      this.countStatements.set(key, statement);
    }
    return statement.get(params) ?? 0;
  }

  /** Retention: deletes decisions older than `cutoff` (decidedAt < cutoff); returns how many. */
  pruneBefore(cutoff: number): number {
    return this.pruneStatement.run(cutoff).changes;
  }

  /**
   * Severs the audit trail's link to a person (sets person_id to NULL). Not called on person
   * deletion by default; for sites whose policy requires erasing the link as well.
   */
  anonymisePerson(personId: string): number {
    return this.anonymiseStatement.run(personId).changes;
  }
}

function compileFilter(filter: DecisionFilter): { key: string; where: string; params: FilterParams } {
  if (filter.outcome !== undefined && !DECISION_OUTCOMES.includes(filter.outcome)) {
    throw new StoreError('STORE_INVALID_INPUT', `unknown outcome ${String(filter.outcome)}`);
  }
  const present = FILTER_KEYS.filter((name) => filter[name] !== undefined);
  const params: FilterParams = {};
  for (const name of present) params[name] = filter[name];
  return {
    key: present.join(','),
    where: present.length === 0 ? '' : `WHERE ${present.map((name) => FILTER_SQL[name]).join(' AND ')}`,
    params,
  };
}

function toRow(decision: NewDecision, createdAt: number): DecisionRow {
  requireText(decision.id, 'id');
  requireText(decision.cameraId, 'camera id');
  requireText(decision.doorId, 'door id');
  requireText(decision.modelId, 'model id');
  if (!DECISION_OUTCOMES.includes(decision.outcome)) {
    throw new StoreError('STORE_INVALID_INPUT', `unknown outcome ${String(decision.outcome)}`);
  }
  requireFinite(decision.decidedAt, 'decidedAt');
  requireFinite(decision.threshold, 'threshold');
  if (decision.score !== null) requireFinite(decision.score, 'score');
  if (decision.expiresAt !== null) requireFinite(decision.expiresAt, 'expiresAt');
  return {
    id: decision.id,
    created_at: createdAt,
    decided_at: decision.decidedAt,
    camera_id: decision.cameraId,
    door_id: decision.doorId,
    track_id: decision.trackId,
    outcome: decision.outcome,
    person_id: decision.personId,
    score: decision.score,
    threshold: decision.threshold,
    model_id: decision.modelId,
    masked: decision.masked === null ? null : decision.masked ? 1 : 0,
    expires_at: decision.expiresAt,
    payload: serialiseAuditPayload(decision.payload),
  };
}

function toRecord(row: DecisionRow): DecisionRecord {
  return {
    id: row.id,
    createdAt: row.created_at,
    decidedAt: row.decided_at,
    cameraId: row.camera_id,
    doorId: row.door_id,
    trackId: row.track_id,
    outcome: row.outcome,
    personId: row.person_id,
    score: row.score,
    threshold: row.threshold,
    modelId: row.model_id,
    masked: row.masked === null ? null : row.masked === 1,
    expiresAt: row.expires_at,
    payload: JSON.parse(row.payload) as JsonObject,
  };
}

function requireText(value: string, what: string): void {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_ID_LENGTH) {
    throw new StoreError('STORE_INVALID_INPUT', `${what} must be 1..${MAX_ID_LENGTH} characters`);
  }
}

function requireFinite(value: number, what: string): void {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new StoreError('STORE_INVALID_INPUT', `${what} must be a finite number`);
  }
}
