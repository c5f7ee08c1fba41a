// Presentation-attack evidence of one track: per-frame attack probabilities from the PAD model,
// fused like the embeddings (the mean over the frames the decision uses, steadier than any one
// frame), and the verdict against the threshold in force for the door.
export interface PadSettings {
  readonly enabled: boolean;
  /** Fused attack score at or above which the track is a presentation attack. */
  readonly threshold: number;
}

/** What a decision says about PAD: published in the decision message and kept in the audit row. */
export interface PadVerdict {
  /** Fused attack score (0 = live, 1 = attack); null when no frame could be scored (PAD failure). */
  readonly score: number | null;
  readonly threshold: number;
  /** Frames whose scores were fused. */
  readonly frames: number;
  readonly attack: boolean;
}

/** Mean of the per-frame scores; null for none. */
export function fusePadScores(scores: readonly number[]): number | null {
  if (scores.length === 0) return null;
  return scores.reduce((sum, s) => sum + s, 0) / scores.length;
}

/**
 * The verdict for a track's scores. A track with no scored frame is not an attack by evidence,
 * but it is not live by evidence either: the caller must not grant it (see TrackDecider).
 */
export function padVerdict(scores: readonly number[], settings: PadSettings): PadVerdict {
  const score = fusePadScores(scores);
  return { score, threshold: settings.threshold, frames: scores.length, attack: score !== null && score >= settings.threshold };
}
