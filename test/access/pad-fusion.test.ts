import { describe, expect, it } from 'vitest';
import { fusePadScores, padVerdict } from '../../access/pad-fusion.js';

describe('PAD fusion', () => {
  it('averages the frames and compares with the threshold (at or above: attack)', () => {
    expect(fusePadScores([])).toBeNull();
    expect(fusePadScores([0.2, 0.4, 0.9])).toBeCloseTo(0.5, 12);
    expect(padVerdict([0.2, 0.4, 0.9], { enabled: true, threshold: 0.5 })).toMatchObject({ attack: true, frames: 3 });
    expect(padVerdict([0.2, 0.4, 0.8], { enabled: true, threshold: 0.5 })).toMatchObject({ attack: false });
  });

  it('has no verdict of attack without a score: the caller refuses the grant on its own', () => {
    expect(padVerdict([], { enabled: true, threshold: 0.5 })).toEqual({ score: null, threshold: 0.5, frames: 0, attack: false });
  });
});
