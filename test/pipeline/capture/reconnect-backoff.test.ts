import { describe, expect, it } from 'vitest';
import { ReconnectBackoff } from '../../../pipeline/capture/reconnect-backoff.js';

describe('ReconnectBackoff', () => {
  it('grows exponentially, caps at the maximum and restarts after reset', () => {
    const backoff = new ReconnectBackoff({ initialDelayMs: 500, maxDelayMs: 3000, multiplier: 2 });
    expect([1, 2, 3, 4, 5].map(() => backoff.nextDelayMs())).toEqual([500, 1000, 2000, 3000, 3000]);
    expect(backoff.attempt).toBe(5);
    backoff.reset();
    expect(backoff.attempt).toBe(0);
    expect(backoff.nextDelayMs()).toBe(500);
  });

  it('stays finite after very many failures', () => {
    const backoff = new ReconnectBackoff({ initialDelayMs: 1, maxDelayMs: 60_000, multiplier: 10 });
    for (let i = 0; i < 2000; i += 1) backoff.nextDelayMs();
    expect(backoff.nextDelayMs()).toBe(60_000);
  });

  it('keeps a fixed delay with multiplier 1', () => {
    const backoff = new ReconnectBackoff({ initialDelayMs: 250, maxDelayMs: 1000, multiplier: 1 });
    expect([1, 2, 3].map(() => backoff.nextDelayMs())).toEqual([250, 250, 250]);
  });
});
