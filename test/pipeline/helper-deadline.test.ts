import { describe, expect, it } from 'vitest';
import { HelperDeadline, UNLEARNT_DEADLINE_MS } from '../../pipeline/helper-deadline.js';

describe('HelperDeadline', () => {
  it('waits a generous second until it has seen three answers', () => {
    const deadline = new HelperDeadline();
    expect(deadline.afterMs).toBe(UNLEARNT_DEADLINE_MS);
    deadline.answered(2);
    deadline.answered(3);
    expect(deadline.afterMs).toBe(UNLEARNT_DEADLINE_MS);
    deadline.answered(2.5);
    expect(deadline.afterMs).toBe(2 * 2.5 + 1);
  });

  it('follows the median of the last 16 answers, so one slow answer does not move it and old ones age out', () => {
    const deadline = new HelperDeadline();
    for (let i = 0; i < 15; i++) deadline.answered(2);
    deadline.answered(500);
    expect(deadline.afterMs).toBe(5);
    for (let i = 0; i < 16; i++) deadline.answered(20);
    expect(deadline.afterMs).toBe(41);
  });

  it('ignores what cannot be a duration', () => {
    const deadline = new HelperDeadline();
    for (const ms of [Number.NaN, -1, Number.POSITIVE_INFINITY]) deadline.answered(ms);
    expect(deadline.afterMs).toBe(UNLEARNT_DEADLINE_MS);
  });
});
