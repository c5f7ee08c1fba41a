import { describe, expect, it } from 'vitest';
import { TrackDecider, type DecisionSettings } from '../../access/track-decider.js';

const unit = (...v: number[]) => {
  const n = Math.hypot(...v);
  return Float32Array.from(v.map((x) => x / n));
};

// A two-person gallery in 3-D: alice along x, bob along y.
const gallery = {
  searchForDecision(probe: Float32Array) {
    return [
      { personId: 'alice', score: probe[0]! },
      { personId: 'bob', score: probe[1]! },
    ].sort((a, b) => b.score - a.score);
  },
};
const people = {
  lookup: (id: string) =>
    ({ alice: { displayName: 'Alice', active: true }, bob: { displayName: 'Bob', active: false } })[id as 'alice' | 'bob'],
};
const settings: DecisionSettings = { threshold: 0.8, targetFmr: 0.001, framesPerDecision: 3, redecideAfterMs: 10_000, grantTtlMs: 5000 };

describe('TrackDecider', () => {
  it('decides once per track after enough usable frames, fusing their embeddings', async () => {
    const decider = new TrackDecider(gallery, people, settings);
    expect(await decider.observe('t1', unit(1, 0.3, 0), 0)).toBeNull();
    expect(await decider.observe('t1', null, 100)).toBeNull(); // quality failure does not count
    expect(await decider.observe('t1', unit(1, -0.3, 0), 200)).toBeNull();
    const decision = await decider.observe('t1', unit(1, 0, 0.1), 300);
    expect(decision).toMatchObject({ outcome: 'grant', reason: 'match', personId: 'alice', personName: 'Alice', framesUsed: 3 });
    // The fused probe cancels the +-0.3 components: closer to alice than any single frame.
    expect(decision!.score).toBeGreaterThan(unit(1, 0.3, 0)[0]!);
    expect(decision!.expiresAt - decision!.decidedAt).toBe(5000);
    expect(await decider.observe('t1', unit(1, 0, 0), 400)).toBeNull();
    expect(await decider.end('t1', 500)).toBeNull();
  });

  it('denies a face that matches nobody above the threshold, and an inactive person', async () => {
    const decider = new TrackDecider(gallery, people, { ...settings, framesPerDecision: 1 });
    expect(await decider.observe('s', unit(0.5, 0.5, 1), 0)).toMatchObject({ outcome: 'deny', reason: 'no_match', personId: null });
    expect(await decider.observe('b', unit(0, 1, 0), 0)).toMatchObject({ outcome: 'deny', reason: 'inactive_person', personId: 'bob' });
  });

  it('decides an undecided track when it ends, and reports a track with no usable face as unknown', async () => {
    const decider = new TrackDecider(gallery, people, settings);
    await decider.observe('short', unit(1, 0, 0), 0);
    expect(await decider.end('short', 100)).toMatchObject({ outcome: 'grant', framesUsed: 1 });
    for (let i = 0; i < 3; i++) await decider.observe('blurry', null, i);
    expect(await decider.end('blurry', 10)).toMatchObject({ outcome: 'unknown', reason: 'no_usable_face', score: null });
    await decider.observe('flicker', null, 0);
    expect(await decider.end('flicker', 10)).toBeNull();
  });

  it('decides again for someone who lingers past redecideAfterMs', async () => {
    const decider = new TrackDecider(gallery, people, { ...settings, framesPerDecision: 1, redecideAfterMs: 1000 });
    expect(await decider.observe('t', unit(1, 0, 0), 0)).not.toBeNull();
    expect(await decider.observe('t', unit(1, 0, 0), 500)).toBeNull();
    expect(await decider.observe('t', unit(1, 0, 0), 1500)).toMatchObject({ outcome: 'grant' });
  });

  it('marks a track decided before an asynchronous search resolves, so frames arriving meanwhile never decide it twice', async () => {
    let release!: () => void;
    const slow = {
      searchForDecision: async (probe: Float32Array) => {
        await new Promise<void>((resolve) => (release = resolve));
        return gallery.searchForDecision(probe);
      },
    };
    const decider = new TrackDecider(slow, people, { ...settings, framesPerDecision: 1 });
    const first = decider.observe('t', unit(1, 0, 0), 0);
    expect(await decider.observe('t', unit(1, 0, 0), 10)).toBeNull();
    expect(await decider.end('t', 20)).toBeNull();
    release();
    expect(await first).toMatchObject({ outcome: 'grant', personId: 'alice' });
  });
});

describe('TrackDecider with presentation-attack detection', () => {
  const pad = { enabled: true, threshold: 0.5 };
  const live = (masked: boolean | null = true) => ({ padScore: 0.1, masked });

  it('grants a live face and reports the fused PAD score and the masked majority', async () => {
    const decider = new TrackDecider(gallery, people, { ...settings, pad });
    await decider.observe('t', unit(1, 0, 0), 0, { padScore: 0.2, masked: true });
    await decider.observe('t', unit(1, 0, 0), 1, { padScore: 0.0, masked: false });
    const decision = await decider.observe('t', unit(1, 0, 0), 2, { padScore: 0.1, masked: true });
    expect(decision).toMatchObject({ outcome: 'grant', reason: 'match', masked: true, pad: { threshold: 0.5, frames: 3, attack: false } });
    expect(decision!.pad!.score).toBeCloseTo(0.1, 9);
  });

  it('denies an attack on an enrolled face as presentation_attack, naming whom it matched', async () => {
    const decider = new TrackDecider(gallery, people, { ...settings, pad });
    await decider.observe('t', unit(1, 0, 0), 0, { padScore: 0.9, masked: false });
    await decider.observe('t', unit(1, 0, 0), 1, { padScore: 0.3, masked: false });
    const decision = await decider.observe('t', unit(1, 0, 0), 2, { padScore: 0.6, masked: false });
    expect(decision).toMatchObject({ outcome: 'deny', reason: 'presentation_attack', personId: 'alice', masked: false, pad: { attack: true, frames: 3 } });
  });

  it('never grants a track PAD could not score (model failure or no screening)', async () => {
    const decider = new TrackDecider(gallery, people, { ...settings, framesPerDecision: 1, pad });
    expect(await decider.observe('failed', unit(1, 0, 0), 0, { padScore: null, masked: true })).toMatchObject({
      outcome: 'deny',
      reason: 'pad_failed',
      pad: { score: null, frames: 0 },
    });
    expect(await decider.observe('unscreened', unit(1, 0, 0), 0)).toMatchObject({ outcome: 'deny', reason: 'pad_failed', masked: null });
  });

  it('uses only the frames that count: a failed frame among scored ones does not block the grant', async () => {
    const decider = new TrackDecider(gallery, people, { ...settings, framesPerDecision: 2, pad });
    await decider.observe('t', unit(1, 0, 0), 0, { padScore: null, masked: true });
    expect(await decider.observe('t', unit(1, 0, 0), 1, live())).toMatchObject({ outcome: 'grant', pad: { frames: 1 } });
  });

  it('ignores PAD where the door turns it off, and applies a per-door threshold', async () => {
    const off = new TrackDecider(gallery, people, { ...settings, framesPerDecision: 1, pad: { enabled: false, threshold: 0.5 } });
    expect(await off.observe('t', unit(1, 0, 0), 0, { padScore: 0.99, masked: false })).toMatchObject({ outcome: 'grant', pad: null });
    const strict = new TrackDecider(gallery, people, { ...settings, framesPerDecision: 1, pad: { enabled: true, threshold: 0.05 } });
    expect(await strict.observe('t', unit(1, 0, 0), 0, live())).toMatchObject({ outcome: 'deny', reason: 'presentation_attack' });
  });
});

describe('TrackDecider with per-condition thresholds', () => {
  // A probe scoring 0.8 against alice: above the masked threshold, below the unmasked one.
  const probe = unit(0.8, 0, 0.6);
  const perCondition: DecisionSettings = { ...settings, framesPerDecision: 3, threshold: 0.85, thresholds: { masked: 0.75, unmasked: 0.9 } };
  const visit = async (decider: TrackDecider, track: string, flags: readonly (boolean | null)[]) => {
    let decision = null;
    for (const [k, masked] of flags.entries()) decision = await decider.observe(track, probe, k, { padScore: null, masked });
    return decision;
  };

  it('grants a masked face scoring between the thresholds, and denies the same score on an unmasked face', async () => {
    const decider = new TrackDecider(gallery, people, perCondition);
    const masked = await visit(decider, 'masked', [true, true, false]);
    expect(masked).toMatchObject({ outcome: 'grant', personId: 'alice', masked: true, threshold: 0.75, thresholdCondition: 'masked' });
    expect(masked!.score).toBeCloseTo(0.8, 6);
    const unmasked = await visit(decider, 'unmasked', [false, false, true]);
    expect(unmasked).toMatchObject({ outcome: 'deny', reason: 'no_match', personId: null, masked: false, threshold: 0.9, thresholdCondition: 'unmasked' });
  });

  it('applies the stricter threshold when no frame could be classified', async () => {
    const decider = new TrackDecider(gallery, people, perCondition);
    expect(await visit(decider, 'unknown', [null, null, null])).toMatchObject({ outcome: 'deny', masked: null, threshold: 0.9, thresholdCondition: 'unknown' });
    // One classified frame is enough to know the condition.
    expect(await visit(decider, 'one-flag', [null, true, null])).toMatchObject({ outcome: 'grant', masked: true, thresholdCondition: 'masked' });
  });

  it('applies the single threshold to every condition without per-condition values, as before', async () => {
    const decider = new TrackDecider(gallery, people, { ...settings, threshold: 0.85 });
    expect(await visit(decider, 'masked', [true, true, true])).toMatchObject({ outcome: 'deny', threshold: 0.85, thresholdCondition: 'single' });
  });

  it('names the impersonated person of an attack by the threshold of its condition', async () => {
    const decider = new TrackDecider(gallery, people, { ...perCondition, pad: { enabled: true, threshold: 0.5 } });
    let decision = null;
    for (let k = 0; k < 3; k++) decision = await decider.observe('attack', probe, k, { padScore: 0.9, masked: true });
    expect(decision).toMatchObject({ outcome: 'deny', reason: 'presentation_attack', personId: 'alice', thresholdCondition: 'masked' });
  });

  it('follows a settings update: per-condition thresholds switched off mid-visit apply to the next decision', async () => {
    const decider = new TrackDecider(gallery, people, perCondition);
    expect(await visit(decider, 'a', [true, true, true])).toMatchObject({ outcome: 'grant' });
    decider.updateSettings({ ...perCondition, thresholds: undefined });
    expect(await visit(decider, 'b', [true, true, true])).toMatchObject({ outcome: 'deny', threshold: 0.85, thresholdCondition: 'single' });
  });
});
