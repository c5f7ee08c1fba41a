// The second half of a face+pin door: decisions held back with `pin_required` wait here for
// the door's PIN request. A PIN settles its entry with a new decision (pin_accepted, pin_rejected
// or pin_locked); a right PIN is accepted once per face decision.
import { randomUUID } from 'node:crypto';
import type { CameraConfig } from '../../firmware-config/schema.js';
import type { TrackDecision } from '../track-decider.js';
import type { PinCheck } from './pin-check.js';

interface PendingEntry {
  readonly decision: TrackDecision;
  readonly camera: CameraConfig;
  readonly until: number;
}

export type PinEntryResult =
  | { readonly status: 'not_expected' }
  | { readonly status: 'settled'; readonly decision: TrackDecision; readonly camera: CameraConfig; readonly lockedUntil: number | null };

/** Pending entries kept at most; the oldest go first (a flood of faces cannot grow memory). */
const MAX_PENDING = 256;

export class PinEntry {
  private readonly pending = new Map<string, PendingEntry>();

  constructor(
    private readonly pins: PinCheck,
    private readonly entrySeconds: () => number,
  ) {}

  /** Holds a `pin_required` decision (eventId, person) open for the door's PIN. */
  expect(decision: TrackDecision, camera: CameraConfig): void {
    this.prune(decision.decidedAt);
    if (this.pending.size >= MAX_PENDING) this.pending.delete(this.pending.keys().next().value!);
    this.pending.set(decision.eventId, { decision, camera, until: decision.decidedAt + this.entrySeconds() * 1000 });
  }

  /** Settles the PIN the door typed for the `pin_required` decision `eventId`. */
  async submit(doorId: string, eventId: string, pin: string, now: number): Promise<PinEntryResult> {
    const entry = this.pending.get(eventId);
    if (!entry || entry.camera.doorId !== doorId || now > entry.until) return { status: 'not_expected' };
    const personId = entry.decision.personId!;
    const verdict = await this.pins.verify(personId, pin, now);
    // Checked again after the hash: a concurrent right PIN may have settled it meanwhile.
    if (!this.pending.has(eventId)) return { status: 'not_expected' };
    if (verdict.result === 'accepted' || verdict.result === 'locked') this.pending.delete(eventId);
    // The new decision keeps the face evidence (track, score, frames) and the face decision's lifetime.
    const { decidedAt, expiresAt } = entry.decision;
    const base = { ...entry.decision, eventId: randomUUID(), decidedAt: now, expiresAt: now + (expiresAt - decidedAt) };
    if (verdict.result === 'accepted') {
      return { status: 'settled', camera: entry.camera, lockedUntil: null, decision: { ...base, outcome: 'grant', reason: 'pin_accepted' } };
    }
    const reason = verdict.result === 'locked' ? 'pin_locked' : 'pin_rejected';
    return { status: 'settled', camera: entry.camera, lockedUntil: verdict.lockedUntil, decision: { ...base, outcome: 'deny', reason } };
  }

  private prune(now: number): void {
    for (const [eventId, entry] of this.pending) if (entry.until < now) this.pending.delete(eventId);
  }
}
