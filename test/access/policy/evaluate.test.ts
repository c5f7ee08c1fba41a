import { describe, expect, it } from 'vitest';
import { evaluatePolicy } from '../../../access/policy/evaluate.js';
import type { AccessSettings, PolicyFacts } from '../../../access/policy/model.js';

const enforced: AccessSettings = { mode: 'enforced', timeZone: 'Europe/Berlin', pin: { entrySeconds: 30, maxAttempts: 5, lockoutSeconds: 300 } };
const weekdays9to5 = { windows: [{ days: ['mon', 'tue', 'wed', 'thu', 'fri'] as const, start: '09:00', end: '17:00' }], holidayWindows: [] };
const base: PolicyFacts = {
  settings: enforced,
  validity: { validFrom: null, validUntil: null },
  factors: 'face',
  doorGrants: [weekdays9to5],
  isHoliday: () => false,
};
const mondayNoon = Date.parse('2026-06-08T10:00:00Z'); // 12:00 CEST
const mondayNight = Date.parse('2026-06-08T21:00:00Z'); // 23:00 CEST

describe('evaluatePolicy', () => {
  it('lets a person through at a door one of their grants covers, inside its schedule', () => {
    expect(evaluatePolicy(base, mondayNoon)).toBeNull();
  });

  it('denies at a door no grant covers, and outside every covering schedule', () => {
    expect(evaluatePolicy({ ...base, doorGrants: [] }, mondayNoon)).toBe('door_not_permitted');
    expect(evaluatePolicy(base, mondayNight)).toBe('outside_schedule');
    // A second grant at any time (schedule null) opens it.
    expect(evaluatePolicy({ ...base, doorGrants: [weekdays9to5, null] }, mondayNight)).toBeNull();
  });

  it('checks validity to the millisecond: from inclusive, until exclusive', () => {
    const validity = { validFrom: mondayNoon, validUntil: mondayNoon + 3_600_000 };
    const visitor = { ...base, validity };
    expect(evaluatePolicy(visitor, mondayNoon - 1)).toBe('not_yet_valid');
    expect(evaluatePolicy(visitor, mondayNoon)).toBeNull();
    expect(evaluatePolicy(visitor, validity.validUntil - 1)).toBeNull();
    expect(evaluatePolicy(visitor, validity.validUntil)).toBe('expired');
    expect(evaluatePolicy({ ...base, validity: { validFrom: null, validUntil: mondayNoon } }, mondayNoon + 1)).toBe('expired');
  });

  it('reports validity before door and schedule', () => {
    const expired = { ...base, doorGrants: [], validity: { validFrom: null, validUntil: mondayNoon } };
    expect(evaluatePolicy(expired, mondayNight)).toBe('expired');
  });

  it('in open mode ignores zones and schedules but still checks validity and the door factor', () => {
    const open = { ...base, settings: { ...enforced, mode: 'open' as const }, doorGrants: [] };
    expect(evaluatePolicy(open, mondayNight)).toBeNull();
    expect(evaluatePolicy({ ...open, validity: { validFrom: mondayNight + 1, validUntil: null } }, mondayNight)).toBe('not_yet_valid');
    expect(evaluatePolicy({ ...open, factors: 'face+pin' }, mondayNight)).toBe('pin_required');
  });

  it('asks for the PIN only once everything else allows the person', () => {
    const pinDoor = { ...base, factors: 'face+pin' as const };
    expect(evaluatePolicy(pinDoor, mondayNoon)).toBe('pin_required');
    expect(evaluatePolicy(pinDoor, mondayNight)).toBe('outside_schedule');
  });
});
