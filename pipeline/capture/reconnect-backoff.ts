// Exponential back-off between restarts of a failing source, capped, and reset once the source
// delivers frames again so that one hiccup a day does not leave a camera on the maximum delay.
import type { ReconnectPolicy } from './capture-config.js';

export class ReconnectBackoff {
  private failures = 0;

  constructor(private readonly policy: ReconnectPolicy) {}

  /** Consecutive failed attempts so far. */
  get attempt(): number {
    return this.failures;
  }

  /** Records one more failure and returns the delay before the next attempt. */
  nextDelayMs(): number {
    this.failures += 1;
    const { initialDelayMs, maxDelayMs, multiplier } = this.policy;
    const delay = initialDelayMs * multiplier ** (this.failures - 1);
    return Math.min(maxDelayMs, Number.isFinite(delay) ? delay : maxDelayMs);
  }

  reset(): void {
    this.failures = 0;
  }
}
