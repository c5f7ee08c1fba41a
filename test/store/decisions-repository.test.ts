import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { JsonObject } from '../../store/audit-payload.js';
import { openDatabase, type Database } from '../../store/database.js';
import { DecisionsRepository, type DecisionOutcome, type NewDecision } from '../../store/decisions-repository.js';
import { PeopleRepository } from '../../store/people-repository.js';

function decision(overrides: Partial<NewDecision> = {}): NewDecision {
  return {
    id: randomUUID(),
    decidedAt: 1_000,
    cameraId: 'cam-1',
    doorId: 'door-1',
    trackId: 't-1',
    outcome: 'grant',
    personId: 'person-1',
    score: 0.71,
    threshold: 0.42,
    modelId: 'fr_feature@1',
    masked: true,
    expiresAt: 6_000,
    payload: { liveness: { passed: true, score: 0.98 }, frames: 4 },
    ...overrides,
  };
}

describe('DecisionsRepository', () => {
  let db: Database;
  let decisions: DecisionsRepository;

  beforeEach(() => {
    db = openDatabase(':memory:');
    decisions = new DecisionsRepository(db, () => 123);
  });
  afterEach(() => db.close());

  it('round-trips a decision, including nulls', () => {
    const full = decision();
    expect(decisions.insert(full)).toEqual({ ...full, createdAt: 123 });
    expect(decisions.get(full.id)).toEqual({ ...full, createdAt: 123 });

    const sparse = decision({ trackId: null, outcome: 'unknown', personId: null, score: null, masked: null, expiresAt: null, payload: {} });
    decisions.insert(sparse);
    expect(decisions.get(sparse.id)).toEqual({ ...sparse, createdAt: 123 });
    expect(decisions.get('missing')).toBeNull();
  });

  it('rejects a repeated event id and invalid fields', () => {
    const d = decision();
    decisions.insert(d);
    expect(() => decisions.insert(d)).toThrow(expect.objectContaining({ code: 'STORE_CONFLICT' }));
    expect(() => decisions.insert(decision({ outcome: 'maybe' as DecisionOutcome }))).toThrow(
      expect.objectContaining({ code: 'STORE_INVALID_INPUT' }),
    );
    expect(() => decisions.insert(decision({ score: Number.NaN }))).toThrow(expect.objectContaining({ code: 'STORE_INVALID_INPUT' }));
    expect(() => decisions.insert(decision({ doorId: '' }))).toThrow(expect.objectContaining({ code: 'STORE_INVALID_INPUT' }));
  });

  it('refuses payloads that look like biometric data', () => {
    const embeddingLike = Array.from({ length: 128 }, (_, i) => i / 128);
    const cases: JsonObject[] = [
      { embedding: embeddingLike },
      { nested: { crop: 'A'.repeat(4000) } },
      { raw: new Float32Array(4) as unknown as number[] },
      { bytes: Buffer.from('png') as unknown as string },
    ];
    for (const payload of cases) {
      expect(() => decisions.insert(decision({ payload }))).toThrow(expect.objectContaining({ code: 'STORE_BIOMETRIC_IN_AUDIT' }));
    }
    expect(decisions.count()).toBe(0);
    // Short numeric arrays (a bounding box, a few per-frame scores) are fine.
    expect(() => decisions.insert(decision({ payload: { box: [10, 20, 30, 40], scores: [0.5, 0.6, 0.7] } }))).not.toThrow();
  });

  describe('queries', () => {
    const outcomes: DecisionOutcome[] = ['grant', 'deny', 'unknown'];
    let all: NewDecision[];

    beforeEach(() => {
      all = [];
      for (let i = 0; i < 30; i++) {
        const d = decision({
          decidedAt: 10_000 + Math.floor(i / 2) * 100, // pairs share a timestamp: order falls back to insertion
          doorId: `door-${i % 3}`,
          cameraId: `cam-${i % 2}`,
          personId: i % 5 === 0 ? null : `person-${i % 4}`,
          outcome: outcomes[i % 3]!,
        });
        all.push(d);
        decisions.insert(d);
      }
    });

    const newestFirst = (rows: NewDecision[]): string[] =>
      rows
        .map((d, index) => ({ d, index }))
        .sort((a, b) => b.d.decidedAt - a.d.decidedAt || b.index - a.index)
        .map(({ d }) => d.id);

    it('returns everything newest first, paged', () => {
      const expected = newestFirst(all);
      expect(decisions.query().map((d) => d.id)).toEqual(expected);
      expect(decisions.query({ limit: 7, offset: 5 }).map((d) => d.id)).toEqual(expected.slice(5, 12));
      expect(decisions.count()).toBe(30);
    });

    it('combines filters exactly like a reference filter', () => {
      const filters = [
        { doorId: 'door-1' },
        { cameraId: 'cam-0', outcome: 'deny' as const },
        { personId: 'person-2' },
        { from: 10_500, to: 11_000 },
        { doorId: 'door-2', from: 10_300, outcome: 'unknown' as const },
        { doorId: 'door-0', cameraId: 'cam-1', personId: 'person-3', outcome: 'grant' as const, from: 0, to: 99_999 },
      ];
      for (const filter of filters) {
        const expected = newestFirst(
          all.filter(
            (d) =>
              (filter.doorId === undefined || d.doorId === filter.doorId) &&
              (!('cameraId' in filter) || d.cameraId === filter.cameraId) &&
              (!('personId' in filter) || d.personId === filter.personId) &&
              (!('outcome' in filter) || d.outcome === filter.outcome) &&
              (!('from' in filter) || d.decidedAt >= filter.from!) &&
              (!('to' in filter) || d.decidedAt < filter.to!),
          ),
        );
        expect(decisions.query(filter).map((d) => d.id), JSON.stringify(filter)).toEqual(expected);
        expect(decisions.count(filter), JSON.stringify(filter)).toBe(expected.length);
      }
    });

    it('rejects an unknown outcome filter', () => {
      expect(() => decisions.query({ outcome: 'nope' as DecisionOutcome })).toThrow(
        expect.objectContaining({ code: 'STORE_INVALID_INPUT' }),
      );
    });

    it('prunes by age and can sever the link to a person', () => {
      expect(decisions.pruneBefore(10_500)).toBe(10);
      expect(decisions.count()).toBe(20);
      const linked = decisions.count({ personId: 'person-1' });
      expect(linked).toBeGreaterThan(0);
      expect(decisions.anonymisePerson('person-1')).toBe(linked);
      expect(decisions.count({ personId: 'person-1' })).toBe(0);
      expect(decisions.count()).toBe(20);
    });
  });

  it('keeps the audit row (and the person id) after the person is deleted', () => {
    const people = new PeopleRepository(db);
    const ada = people.create({ displayName: 'Ada' });
    const d = decision({ personId: ada.id });
    decisions.insert(d);
    people.delete(ada.id);
    expect(decisions.get(d.id)?.personId).toBe(ada.id);
  });
});
