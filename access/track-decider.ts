// Turns the usable faces of one track into one access decision: the embeddings of up to
// `framesPerDecision` frames are averaged (template fusion, steadier than any single frame)
// and searched once against the gallery.
import { randomUUID } from 'node:crypto';
import { l2Normalize } from '../pipeline/vector.js';
import type { DecisionReason, Outcome } from './decision-message.js';

export interface GallerySearch {
  search(probe: Float32Array, k: number): ReadonlyArray<{ personId: string; score: number }>;
}

export interface PersonDirectory {
  lookup(personId: string): { displayName: string; active: boolean } | undefined;
}

export interface DecisionSettings {
  readonly threshold: number;
  readonly targetFmr: number | null;
  readonly framesPerDecision: number;
  readonly redecideAfterMs: number;
  readonly grantTtlMs: number;
}

export interface TrackDecision {
  readonly eventId: string;
  readonly trackId: string;
  readonly outcome: Outcome;
  readonly reason: DecisionReason;
  readonly personId: string | null;
  readonly personName: string | null;
  readonly score: number | null;
  readonly threshold: number;
  readonly targetFmr: number | null;
  readonly framesUsed: number;
  readonly firstSeenAt: number;
  readonly decidedAt: number;
  readonly expiresAt: number;
}

interface PendingTrack {
  firstSeenAt: number;
  sum: Float32Array | null;
  usable: number;
  seen: number;
  decidedAt: number | null;
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
   * Records one frame of a track. `embedding` is null when the face failed the quality gate.
   * Returns a decision when the track has gathered enough usable frames (or is due again).
   */
  observe(trackId: string, embedding: Float32Array | null, now: number): TrackDecision | null {
    let track = this.tracks.get(trackId);
    if (!track) {
      track = { firstSeenAt: now, sum: null, usable: 0, seen: 0, decidedAt: null };
      this.tracks.set(trackId, track);
    }
    track.seen++;
    if (track.decidedAt !== null) {
      if (now - track.decidedAt < this.settings.redecideAfterMs) return null;
      // Someone lingering at the door gets a fresh decision from fresh frames.
      track.sum = null;
      track.usable = 0;
      track.decidedAt = null;
    }
    if (embedding) {
      if (!track.sum) track.sum = new Float32Array(embedding.length);
      for (let i = 0; i < embedding.length; i++) track.sum[i]! += embedding[i]!;
      track.usable++;
    }
    if (track.usable < this.settings.framesPerDecision) return null;
    return this.decide(trackId, track, now);
  }

  /**
   * The track left the scene. An undecided track is decided on what it has; a track that never
   * yielded a usable face over `framesPerDecision` frames is reported as a failure to acquire.
   */
  end(trackId: string, now: number): TrackDecision | null {
    const track = this.tracks.get(trackId);
    this.tracks.delete(trackId);
    if (!track || track.decidedAt !== null) return null;
    if (track.usable > 0) return this.decide(trackId, track, now);
    if (track.seen >= this.settings.framesPerDecision) {
      return this.build(trackId, track, now, { outcome: 'unknown', reason: 'no_usable_face', personId: null, score: null });
    }
    return null; // a flicker, not a visit
  }

  private decide(trackId: string, track: PendingTrack, now: number): TrackDecision {
    const probe = l2Normalize(Float32Array.from(track.sum!));
    const [best] = this.gallery.search(probe, 1);
    track.decidedAt = now;
    if (!best || best.score < this.settings.threshold) {
      return this.build(trackId, track, now, { outcome: 'deny', reason: 'no_match', personId: null, score: best?.score ?? null });
    }
    const person = this.people.lookup(best.personId);
    if (!person || !person.active) {
      return this.build(trackId, track, now, { outcome: 'deny', reason: 'inactive_person', personId: best.personId, score: best.score });
    }
    return this.build(trackId, track, now, { outcome: 'grant', reason: 'match', personId: best.personId, score: best.score });
  }

  private build(
    trackId: string,
    track: PendingTrack,
    now: number,
    result: { outcome: Outcome; reason: DecisionReason; personId: string | null; score: number | null },
  ): TrackDecision {
    track.decidedAt = now;
    const personName = result.personId ? (this.people.lookup(result.personId)?.displayName ?? null) : null;
    return {
      eventId: randomUUID(),
      trackId,
      ...result,
      personName,
      threshold: this.settings.threshold,
      targetFmr: this.settings.targetFmr,
      framesUsed: track.usable,
      firstSeenAt: track.firstSeenAt,
      decidedAt: now,
      expiresAt: now + this.settings.grantTtlMs,
    };
  }
}
