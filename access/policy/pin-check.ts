// Checks a PIN against a person's stored hash with a lockout: after `maxAttempts` consecutive
// wrong PINs the person is locked for `lockoutSeconds`, and while locked no hash is even tried.
import type { PinsRepository } from '../../store/pins-repository.js';
import type { PinSettings } from './model.js';
import { hashPin, verifyPin } from './pin-hash.js';

export type PinVerdict =
  | { readonly result: 'accepted' }
  | { readonly result: 'rejected'; readonly attemptsLeft: number; readonly lockedUntil: number | null }
  | { readonly result: 'locked'; readonly lockedUntil: number };

export class PinCheck {
  constructor(
    private readonly pins: PinsRepository,
    private readonly settings: () => PinSettings,
  ) {}

  async set(personId: string, pin: string): Promise<void> {
    this.pins.set(personId, await hashPin(pin));
  }

  clear(personId: string): void {
    this.pins.clear(personId);
  }

  status(personId: string, now: number): { set: boolean; lockedUntil: number | null } {
    const record = this.pins.get(personId);
    const lockedUntil = record?.lockedUntil ?? null;
    return { set: record !== null, lockedUntil: lockedUntil !== null && lockedUntil > now ? lockedUntil : null };
  }

  /**
   * The attempt is counted before the (slow, asynchronous) hash check and forgiven after a right
   * PIN, so concurrent guesses cannot all read the same count. A person without a PIN is
   * rejected: there is nothing to guess, so nothing is counted.
   */
  async verify(personId: string, pin: string, now: number): Promise<PinVerdict> {
    const { maxAttempts, lockoutSeconds } = this.settings();
    const record = this.pins.get(personId);
    if (!record) return { result: 'rejected', attemptsLeft: 0, lockedUntil: null };
    if (record.lockedUntil !== null && record.lockedUntil > now) return { result: 'locked', lockedUntil: record.lockedUntil };
    // A lockout that has run out starts a fresh count.
    const failed = (record.lockedUntil !== null ? 0 : record.failedAttempts) + 1;
    const lockedUntil = failed >= maxAttempts ? now + lockoutSeconds * 1000 : null;
    this.pins.recordAttempts(personId, failed, lockedUntil);
    if (await verifyPin(pin, record.hash)) {
      this.pins.recordAttempts(personId, 0, null);
      return { result: 'accepted' };
    }
    if (lockedUntil !== null) return { result: 'locked', lockedUntil };
    return { result: 'rejected', attemptsLeft: maxAttempts - failed, lockedUntil: null };
  }
}
