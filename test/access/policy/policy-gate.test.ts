import { afterEach, describe, expect, it } from 'vitest';
import { PinEntry } from '../../../access/policy/pin-entry.js';
import { PolicyGate } from '../../../access/policy/policy-gate.js';
import type { TrackDecision } from '../../../access/track-decider.js';
import type { CameraConfig } from '../../../firmware-config/schema.js';
import { policyFixture } from './helpers.js';

const camera = (doorId: string): CameraConfig => ({ id: `cam-${doorId}`, url: 'lavfi:testsrc', doorId, width: 640, height: 480, fps: 10, loop: false, realtime: true });
const t0 = Date.parse('2026-06-08T10:00:00Z');

function faceDecision(personId: string | null, overrides: Partial<TrackDecision> = {}): TrackDecision {
  return {
    eventId: `event-${Math.random()}`,
    trackId: 'cam-1',
    outcome: 'grant',
    reason: 'match',
    personId,
    personName: 'Ada',
    score: 0.7,
    threshold: 0.4,
    thresholdCondition: 'single',
    pad: null,
    masked: null,
    targetFmr: null,
    framesUsed: 3,
    firstSeenAt: t0 - 500,
    decidedAt: t0,
    expiresAt: t0 + 5000,
    ...overrides,
  };
}

describe('PolicyGate and PinEntry', () => {
  let fixture = policyFixture();
  afterEach(() => {
    fixture.db.close();
    fixture = policyFixture();
  });

  function setup() {
    const pinEntry = new PinEntry(fixture.pinCheck, () => fixture.settings.get().pin.entrySeconds);
    const gate = new PolicyGate(fixture.policy, pinEntry);
    const ada = fixture.people.create({ displayName: 'Ada' }).id;
    return { gate, pinEntry, ada };
  }

  /** Ada recognised at face+pin door `vault` (PIN 7777) under these PIN limits: the held decision. */
  async function heldAtVault(pin: { entrySeconds: number; maxAttempts: number; lockoutSeconds: number }) {
    const { gate, pinEntry, ada } = setup();
    fixture.settings.update({ ...fixture.settings.get(), pin });
    fixture.settings.setDoorFactors('vault', 'face+pin');
    await fixture.pinCheck.set(ada, '7777');
    return { pinEntry, held: gate.apply(faceDecision(ada), camera('vault')) };
  }

  it('passes identity denials and failures to acquire through untouched, even when policy would refuse', () => {
    const { gate } = setup();
    fixture.settings.update({ ...fixture.settings.get(), mode: 'enforced' });
    const stranger = faceDecision(null, { outcome: 'deny', reason: 'no_match' });
    const inactive = faceDecision('someone', { outcome: 'deny', reason: 'inactive_person' });
    const fta = faceDecision(null, { outcome: 'unknown', reason: 'no_usable_face', score: null });
    for (const decision of [stranger, inactive, fta]) expect(gate.apply(decision, camera('front'))).toBe(decision);
  });

  it('turns a grant into a deny with the policy reason, keeping person, score and event id', () => {
    const { gate, ada } = setup();
    fixture.settings.update({ ...fixture.settings.get(), mode: 'enforced' });
    const face = faceDecision(ada);
    expect(gate.apply(face, camera('front'))).toEqual({ ...face, outcome: 'deny', reason: 'door_not_permitted' });
    fixture.settings.update({ ...fixture.settings.get(), mode: 'open' });
    expect(gate.apply(face, camera('front'))).toBe(face);
  });

  it('holds a face+pin decision for the PIN: right door, within the entry time, accepted once', async () => {
    const { gate, pinEntry, ada } = setup();
    fixture.settings.setDoorFactors('vault', 'face+pin');
    await fixture.pinCheck.set(ada, '7777');
    const held = gate.apply(faceDecision(ada), camera('vault'));
    expect(held).toMatchObject({ outcome: 'deny', reason: 'pin_required', personId: ada });

    expect(await pinEntry.submit('front', held.eventId, '7777', t0 + 1000)).toEqual({ status: 'not_expected' });
    const wrong = await pinEntry.submit('vault', held.eventId, '7778', t0 + 1000);
    expect(wrong).toMatchObject({ status: 'settled', decision: { outcome: 'deny', reason: 'pin_rejected', personId: ada, trackId: 'cam-1' } });
    const right = await pinEntry.submit('vault', held.eventId, '7777', t0 + 2000);
    expect(right).toMatchObject({ status: 'settled', decision: { outcome: 'grant', reason: 'pin_accepted', personId: ada, decidedAt: t0 + 2000, expiresAt: t0 + 7000, score: 0.7 } });
    if (right.status === 'settled') {
      expect(right.decision.eventId).not.toBe(held.eventId);
      expect(right.camera.doorId).toBe('vault');
    }
    expect(await pinEntry.submit('vault', held.eventId, '7777', t0 + 3000)).toEqual({ status: 'not_expected' });
  });

  it('forgets a pin_required decision after the entry time', async () => {
    const { pinEntry, held } = await heldAtVault({ entrySeconds: 10, maxAttempts: 5, lockoutSeconds: 60 });
    expect(await pinEntry.submit('vault', held.eventId, '7777', t0 + 10_001)).toEqual({ status: 'not_expected' });
  });

  it('answers pin_locked once the lockout starts, and ends the entry', async () => {
    const { pinEntry, held } = await heldAtVault({ entrySeconds: 30, maxAttempts: 2, lockoutSeconds: 60 });
    expect(await pinEntry.submit('vault', held.eventId, '0000', t0 + 1)).toMatchObject({ decision: { reason: 'pin_rejected' }, lockedUntil: null });
    expect(await pinEntry.submit('vault', held.eventId, '0001', t0 + 2)).toMatchObject({ decision: { reason: 'pin_locked' }, lockedUntil: t0 + 2 + 60_000 });
    expect(await pinEntry.submit('vault', held.eventId, '7777', t0 + 3)).toEqual({ status: 'not_expected' });
  });
});
