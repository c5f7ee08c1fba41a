import { afterEach, describe, expect, it } from 'vitest';
import { hashPin, verifyPin } from '../../../access/policy/pin-hash.js';
import { policyFixture } from './helpers.js';

describe('PIN hashes', () => {
  it('salts every hash, verifies the right PIN only, and refuses non-PINs and foreign hashes', async () => {
    const first = await hashPin('4711');
    const second = await hashPin('4711');
    expect(first).not.toBe(second);
    expect(first).toMatch(/^scrypt\$32768\$8\$1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
    expect(first).not.toContain('4711');
    expect(await verifyPin('4711', first)).toBe(true);
    expect(await verifyPin('4712', first)).toBe(false);
    expect(await verifyPin('04711', first)).toBe(false);
    expect(await verifyPin('4711', 'sha256$abc')).toBe(false);
    expect(await verifyPin('4711', first.replace(/\$[^$]+$/, '$AAAA'))).toBe(false);
    await expect(hashPin('12a4')).rejects.toThrow(/4 to 12 digits/);
    await expect(hashPin('123')).rejects.toThrow();
    await expect(hashPin('1234567890123')).rejects.toThrow();
  });
});

describe('PinCheck lockout', () => {
  let fixture = policyFixture();
  afterEach(() => {
    fixture.db.close();
    fixture = policyFixture();
  });

  function person(): string {
    return fixture.people.create({ displayName: 'Grace' }).id;
  }

  it('locks a person out after maxAttempts wrong PINs, refuses even the right PIN while locked, then counts afresh', async () => {
    fixture.settings.update({ ...fixture.settings.get(), pin: { entrySeconds: 30, maxAttempts: 3, lockoutSeconds: 60 } });
    const id = person();
    await fixture.pinCheck.set(id, '2468');
    const t0 = 1_000_000;
    expect(await fixture.pinCheck.verify(id, '1111', t0)).toEqual({ result: 'rejected', attemptsLeft: 2, lockedUntil: null });
    expect(await fixture.pinCheck.verify(id, '1112', t0 + 1)).toEqual({ result: 'rejected', attemptsLeft: 1, lockedUntil: null });
    expect(await fixture.pinCheck.verify(id, '1113', t0 + 2)).toEqual({ result: 'locked', lockedUntil: t0 + 2 + 60_000 });
    expect(await fixture.pinCheck.verify(id, '2468', t0 + 3)).toEqual({ result: 'locked', lockedUntil: t0 + 2 + 60_000 });
    expect(fixture.pinCheck.status(id, t0 + 3)).toEqual({ set: true, lockedUntil: t0 + 2 + 60_000 });
    // The lockout survives a new PinCheck over the same database (a restart).
    const { PinCheck } = await import('../../../access/policy/pin-check.js');
    const afterRestart = new PinCheck(fixture.pins, () => fixture.settings.get().pin);
    expect((await afterRestart.verify(id, '2468', t0 + 59_000)).result).toBe('locked');
    // After the lockout a wrong PIN starts a fresh count, and the right one is accepted.
    expect(await afterRestart.verify(id, '9999', t0 + 62_003)).toEqual({ result: 'rejected', attemptsLeft: 2, lockedUntil: null });
    expect(await afterRestart.verify(id, '2468', t0 + 62_004)).toEqual({ result: 'accepted' });
    expect(fixture.pins.get(id)).toMatchObject({ failedAttempts: 0, lockedUntil: null });
  });

  it('forgives wrong PINs after a right one, and a new PIN clears a lockout', async () => {
    fixture.settings.update({ ...fixture.settings.get(), pin: { entrySeconds: 30, maxAttempts: 2, lockoutSeconds: 600 } });
    const id = person();
    await fixture.pinCheck.set(id, '1357');
    expect((await fixture.pinCheck.verify(id, '0000', 1)).result).toBe('rejected');
    expect((await fixture.pinCheck.verify(id, '1357', 2)).result).toBe('accepted');
    expect((await fixture.pinCheck.verify(id, '0000', 3)).result).toBe('rejected');
    expect((await fixture.pinCheck.verify(id, '0001', 4)).result).toBe('locked');
    await fixture.pinCheck.set(id, '8642');
    expect(await fixture.pinCheck.verify(id, '8642', 5)).toEqual({ result: 'accepted' });
  });

  it('counts concurrent guesses one by one', async () => {
    fixture.settings.update({ ...fixture.settings.get(), pin: { entrySeconds: 30, maxAttempts: 3, lockoutSeconds: 60 } });
    const id = person();
    await fixture.pinCheck.set(id, '5555');
    const verdicts = await Promise.all(['0001', '0002', '0003', '0004', '0005'].map((pin) => fixture.pinCheck.verify(id, pin, 10)));
    expect(verdicts.filter((v) => v.result === 'rejected')).toHaveLength(2);
    expect(verdicts.filter((v) => v.result === 'locked')).toHaveLength(3);
  });

  it('rejects a person without a PIN, and forgets the PIN when asked', async () => {
    const id = person();
    expect(await fixture.pinCheck.verify(id, '1234', 1)).toEqual({ result: 'rejected', attemptsLeft: 0, lockedUntil: null });
    await fixture.pinCheck.set(id, '1234');
    fixture.pinCheck.clear(id);
    expect(fixture.pinCheck.status(id, 1)).toEqual({ set: false, lockedUntil: null });
  });
});
