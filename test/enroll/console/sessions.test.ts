import { describe, expect, it } from 'vitest';
import { sameToken, SessionStore } from '../../../enroll/console/sessions.js';

describe('SessionStore', () => {
  it('opens sessions with unguessable, distinct ids and CSRF tokens', () => {
    const store = new SessionStore({ ttlMs: 60_000 });
    const a = store.open({ id: 'key-1' });
    const b = store.open({ id: 'key-1' });
    expect(a.id).not.toBe(b.id);
    expect(a.session.csrfToken).not.toBe(b.session.csrfToken);
    expect(a.id).toMatch(/^[A-Za-z0-9_-]{43}$/); // 256 bits, base64url
    expect(store.get(a.id)?.keyId).toBe('key-1');
    expect(store.get(`${a.id}x`)).toBeNull();
  });

  it('ends a session at its absolute expiry, however active it was', () => {
    let now = 1_000;
    const store = new SessionStore({ ttlMs: 10_000, now: () => now });
    const { id } = store.open({ id: 'k' });
    now = 10_999;
    expect(store.get(id)).not.toBeNull();
    now = 11_000;
    expect(store.get(id)).toBeNull();
    expect(store.size).toBe(0);
  });

  it('closes a session on sign-out and keeps memory bounded', () => {
    const store = new SessionStore({ ttlMs: 60_000, maxSessions: 3 });
    const first = store.open({ id: 'k' });
    expect(store.close(first.id)).toBe(true);
    expect(store.get(first.id)).toBeNull();
    const ids = [1, 2, 3, 4].map(() => store.open({ id: 'k' }).id);
    expect(store.size).toBe(3);
    expect(store.get(ids[0]!)).toBeNull(); // the oldest made room
    expect(store.get(ids[3]!)).not.toBeNull();
  });

  it('compares tokens in constant time and refuses different lengths', () => {
    expect(sameToken('abc', 'abc')).toBe(true);
    expect(sameToken('abc', 'abd')).toBe(false);
    expect(sameToken('abc', 'abcd')).toBe(false);
    expect(sameToken('abc', '')).toBe(false);
  });
});
