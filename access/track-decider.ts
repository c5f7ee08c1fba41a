// Turns the usable faces of one track into one access decision: the embeddings of up to
// `framesPerDecision` frames are averaged (template fusion, steadier than any single frame)
// and searched once against the gallery. The same frames' presentation-attack scores are fused
// and checked first: an attack, or a track PAD could not score, is never granted. The search may be asynchronous
// (a campus-sized gallery is scanned by onnxruntime off the event loop), so observe and end return
// promises; a track is marked decided before the search starts, so it is never decided twice.
import { randomUUID } from 'node:crypto';
import { l2Normalize } from '../pipeline/vector.js';
import type { FaceEvidence } from '../pipeline/types.js';
import type { DecisionReason, Outcome } from './decision-message.js';
import { padVerdict, type PadSettings, type PadVerdict } from './pad-fusion.js';
import { thresholdFor, type AppliedThreshold, type ConditionThresholds, type ThresholdCondition } from './condition-threshold.js';

export interface GallerySearch {
  /** The `k` best people for a fused probe; may scan off the event loop (a campus-sized gallery). */
  searchForDecision(probe: Float32Array, k: number): ReadonlyArray<{ personId: string; score: number }> | Promise<ReadonlyArray<{ personId: string; score: number }>>;
}

export interface PersonDirectory {
  lookup(personId: string): { displayName: string; active: boolean } | undefined;
}

export interface DecisionSettings {
  readonly threshold: number;
  /** Per-condition thresholds, chosen by the track's mask flag (condition-threshold.ts); absent: `threshold` for all. */
  readonly thresholds?: ConditionThresholds;
  readonly targetFmr: number | null;
  readonly framesPerDecision: number;
  readonly redecideAfterMs: number;
  readonly grantTtlMs: number;
  /** Presentation-attack detection for this door; absent: off. */
  readonly pad?: PadSettings;
}

export interface TrackDecision {
  readonly eventId: string;
  readonly trackId: string;
  readonly outcome: Outcome;
  readonly reason: DecisionReason;
  readonly personId: string | null;
  readonly personName: string | null;
  readonly score: number | null;
  /** The threshold applied: that of the track's mask condition where one is configured. */
  readonly threshold: number;
  readonly thresholdCondition: ThresholdCondition;
  readonly targetFmr: number | null;
  readonly framesUsed: number;
  readonly firstSeenAt: number;
  readonly decidedAt: number;
  readonly expiresAt: number;
  /** PAD verdict of the fused frames; null when PAD is off for the door or nothing was fused. */
  readonly pad: PadVerdict | null;
  /** Majority of the fused frames' mask flags; null when none was estimated. */
  readonly masked: boolean | null;
}

interface PendingTrack {
  firstSeenAt: number;
  sum: Float32Array | null;
  usable: number;
  seen: number;
  decidedAt: number | null;
  /** Per usable frame: its PAD score (null: the model failed on it) and mask flag. */
  evidence: FaceEvidence[];
}

const NO_EVIDENCE: FaceEvidence = { padScore: null, masked: null };

function majorityMasked(evidence: readonly FaceEvidence[]): boolean | null {
  const flags = evidence.flatMap((e) => (e.masked === null ? [] : [e.masked]));
  if (flags.length === 0) return null;
  return flags.filter(Boolean).length * 2 >= flags.length;
}

export class TrackDecider {
  private readonly tracks = new Map<string, PendingTrack>();

  constructor(
    private readonly gallery: GallerySearch,
    private readonly people: PersonDirectory,
    private settings: DecisionSettings,
  ) {}

  updateSettings(settings: DecisionSettings): void {
    this.settings = settings;
  }

  /**
   * Records one frame of a track. `embedding` is null when the face failed the quality gate;
   * `evidence` is the frame's PAD score and mask flag (absent: not screened, which with PAD on
   * for the door means the track cannot be granted).
   * Returns a decision when the track has gathered enough usable frames (or is due again).
   */
  async observe(trackId: string, embedding: Float32Array | null, now: number, evidence: FaceEvidence = NO_EVIDENCE): Promise<TrackDecision | null> {
    let track = this.tracks.get(trackId);
    if (!track) {
      track = { firstSeenAt: now, sum: null, usable: 0, seen: 0, decidedAt: null, evidence: [] };
      this.tracks.set(trackId, track);
    }
    track.seen++;
    if (track.decidedAt !== null) {
      if (now - track.decidedAt < this.settings.redecideAfterMs) return null;
      // Someone lingering at the door gets a fresh decision from fresh frames.
      track.sum = null;
      track.usable = 0;
      track.decidedAt = null;
      track.evidence = [];
    }
    if (embedding) {
      if (!track.sum) track.sum = new Float32Array(embedding.length);
      for (let i = 0; i < embedding.length; i++) track.sum[i]! += embedding[i]!;
      track.usable++;
      track.evidence.push(evidence);
    }
    if (track.usable < this.settings.framesPerDecision) return null;
    return this.decide(trackId, track, now);
  }

  /**
   * The track left the scene. An undecided track is decided on what it has; a track that never
   * yielded a usable face over `framesPerDecision` frames is reported as a failure to acquire.
   */
  async end(trackId: string, now: number): Promise<TrackDecision | null> {
    const track = this.tracks.get(trackId);
    this.tracks.delete(trackId);
    if (!track || track.decidedAt !== null) return null;
    if (track.usable > 0) return this.decide(trackId, track, now);
    if (track.seen >= this.settings.framesPerDecision) {
      return this.build(trackId, track, now, { outcome: 'unknown', reason: 'no_usable_face', personId: null, score: null });
    }
    return null; // a flicker, not a visit
  }

  private async decide(trackId: string, track: PendingTrack, now: number): Promise<TrackDecision> {
    const probe = l2Normalize(Float32Array.from(track.sum!));
    track.decidedAt = now;
    const [best] = await this.gallery.searchForDecision(probe, 1);
    const { threshold } = this.appliedThreshold(track);
    const pad = this.settings.pad?.enabled ? padVerdict(track.evidence.flatMap((e) => (e.padScore === null ? [] : [e.padScore])), this.settings.pad) : null;
    if (pad && (pad.attack || pad.score === null)) {
      // An attack names whom it matched (the audit shows who was impersonated) but never grants;
      // a track PAD could not score is refused the same way rather than let through.
      const matched = best && best.score >= threshold ? best.personId : null;
      return this.build(trackId, track, now, { outcome: 'deny', reason: pad.attack ? 'presentation_attack' : 'pad_failed', personId: matched, score: best?.score ?? null }, pad);
    }
    if (!best || best.score < threshold) {
      return this.build(trackId, track, now, { outcome: 'deny', reason: 'no_match', personId: null, score: best?.score ?? null }, pad);
    }
    const person = this.people.lookup(best.personId);
    if (!person || !person.active) {
      return this.build(trackId, track, now, { outcome: 'deny', reason: 'inactive_person', personId: best.personId, score: best.score }, pad);
    }
    return this.build(trackId, track, now, { outcome: 'grant', reason: 'match', personId: best.personId, score: best.score }, pad);
  }

  private build(
    trackId: string,
    track: PendingTrack,
    now: number,
    result: { outcome: Outcome; reason: DecisionReason; personId: string | null; score: number | null },
    pad: PadVerdict | null = null,
  ): TrackDecision {
    track.decidedAt = now;
    const personName = result.personId ? (this.people.lookup(result.personId)?.displayName ?? null) : null;
    const applied = this.appliedThreshold(track);
    return {
      eventId: randomUUID(),
      trackId,
      ...result,
      personName,
      threshold: applied.threshold,
      thresholdCondition: applied.condition,
      targetFmr: this.settings.targetFmr,
      framesUsed: track.usable,
      firstSeenAt: track.firstSeenAt,
      decidedAt: now,
      expiresAt: now + this.settings.grantTtlMs,
      pad,
      masked: majorityMasked(track.evidence),
    };
  }

  private appliedThreshold(track: PendingTrack): AppliedThreshold {
    return thresholdFor(this.settings.threshold, this.settings.thresholds, majorityMasked(track.evidence));
  }
}
