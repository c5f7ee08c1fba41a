// Face quality gate: is this detection worth embedding? Size, sharpness, pose, detector
// confidence and framing, each failure reported with its reason.
import { alignFace } from './align.js';
import type { AlignedFace, FaceDetection, QualityRejection, QualityReport, RgbImage } from './types.js';

export interface QualityLimits {
  /** Minimum distance between the eye keypoints, in source pixels. */
  readonly minInterEyePx: number;
  /** Minimum variance of the Laplacian over the eye region of the aligned crop's grey channel. */
  readonly minSharpness: number;
  /** Largest |yaw| estimated from the keypoints, in degrees. */
  readonly maxYawDeg: number;
  /** Largest |roll| (tilt of the eye line), in degrees. */
  readonly maxRollDeg: number;
  /** Minimum detector score. */
  readonly minScore: number;
  /** Largest fraction of the face box allowed outside the image. */
  readonly maxOutOfFrame: number;
}

/**
 * The door's limits for unmasked faces (and the config's top-level `quality` defaults). Each is
 * read from the error-versus-reject curves of the development sets (`maskgate acquisition-set`,
 * `maskgate eval --quality none`; docs/detection-alignment.md, "Quality gate"): the door refuses
 * the bins whose FNMR is at least about twice the set's, since the next frame may be better.
 */
export const DEFAULT_QUALITY_LIMITS: QualityLimits = {
  // Below 20 px recognition falls off (genuine similarity 0.57 at 19 px, 0.48 at 14 px; the
  // 10-20 px bin missed every unmasked comparison).
  minInterEyePx: 20,
  // 10-15: FNMR 0.11, three times the set's 0.036; 15-25: 0.048, not worth refusing.
  minSharpness: 15,
  // 40-50 degrees: FNMR 0 (66 comparisons); 50-60: 0.63. 45 keeps a margin below the jump.
  maxYawDeg: 45,
  // Not measured (the development sets do not vary roll); alignment removes roll.
  maxRollDeg: 60,
  // 0.6-0.7: FNMR 0.30, eight times the set's.
  minScore: 0.7,
  // Box 10-20% outside the image: FNMR 0.29, eight times the set's.
  maxOutOfFrame: 0.1,
};

/** Limits that refuse nothing: for measuring what each check would cost (`maskgate eval --quality none`). */
export const NO_QUALITY_LIMITS: QualityLimits = {
  minInterEyePx: 0,
  minSharpness: 0,
  maxYawDeg: 90,
  maxRollDeg: 180,
  minScore: 0,
  maxOutOfFrame: 1,
};

/** The door's limits for masked faces (set FNMR 0.23: a mask costs more than any of these checks). */
export const DOOR_MASKED_QUALITY_LIMITS: QualityLimits = {
  // 20-25 px: FNMR 0.65, nearly three times the set's.
  minInterEyePx: 25,
  // 15-25: FNMR 0.42 (1.9x); 10-15: 0.75.
  minSharpness: 25,
  // 40-50: FNMR 0.11; 50-60: 0.89.
  maxYawDeg: 45,
  maxRollDeg: 60,
  // 0.6-0.7: FNMR 0.28, barely above the set's 0.23: a mask lowers the score more than the face's worth.
  minScore: 0.6,
  // 10-20% outside: FNMR 0.63 (2.8x).
  maxOutOfFrame: 0.1,
};

/**
 * What the photo profile refuses: only bins that are (nearly) never recognised, FNMR >= 0.9.
 * Everything else is embedded, with the door's objections as warnings.
 */
export const PHOTO_QUALITY_LIMITS: QualityLimits = {
  // 10-20 px: both unmasked comparisons missed; the masked 10-15 bin (9) missed every one.
  minInterEyePx: 15,
  // No bin reaches FNMR 0.9 unmasked (the lowest, 10-15, has 0.11); a backstop for featureless crops.
  minSharpness: 5,
  // No bin reaches 0.9 (50-60: 0.63); beyond 60 the keypoint estimate is a near-profile.
  maxYawDeg: 60,
  maxRollDeg: 60,
  // No score bin reaches 0.9 (0.6-0.7: 0.30): whatever the detector returns (LAST_RESORT_SCORE).
  minScore: 0.4,
  // A tight crop's box may leave the image (alignment pads it); 20-30% outside missed its one comparison.
  maxOutOfFrame: 0.3,
};

export const PHOTO_MASKED_QUALITY_LIMITS: QualityLimits = {
  // 10-15 px and 15-20 px: FNMR 1.0 (9 and 11 comparisons), 20-25: 0.65.
  minInterEyePx: 20,
  // 0-10: FNMR 1.0 (11 comparisons); 10-15: 0.75.
  minSharpness: 10,
  // 50-60: 0.89 (9), 60-90: 0.71 (7): the masked pose estimate is unreliable beyond 60.
  maxYawDeg: 60,
  maxRollDeg: 60,
  minScore: 0.4,
  // 20-30%: 0.5 (4), 30-50%: 1.0 (1).
  maxOutOfFrame: 0.3,
};

export const DEFAULT_QUALITY_PROFILES: QualityProfiles = {
  door: { refuse: { unmasked: DEFAULT_QUALITY_LIMITS, masked: DOOR_MASKED_QUALITY_LIMITS }, warn: null },
  photo: {
    refuse: { unmasked: PHOTO_QUALITY_LIMITS, masked: PHOTO_MASKED_QUALITY_LIMITS },
    warn: { unmasked: DEFAULT_QUALITY_LIMITS, masked: DOOR_MASKED_QUALITY_LIMITS },
  },
};

/**
 * Sideways nose-tip offset from the eye midpoint, as a fraction of the inter-eye distance, at
 * 45 degrees of yaw. Fitted on LFW: with it, faces judged by eye at about 20, 40 and 60 degrees
 * come out near those values and true profiles above 70. (The anthropometric ratio, about 0.3,
 * overstates yaw by ~1.7x: BlazeFace's keypoints are not anatomical landmarks.)
 */
const NOSE_DEPTH_RATIO = 0.55;

/**
 * Region of a 112x112 crop used for sharpness: brows, eyes, nose bridge — above any mask, and
 * away from the crop's edges, where a face near the image border brings in black padding whose
 * edge would pass for detail.
 */
const SHARPNESS_REGION_112 = { x0: 20, x1: 92, y0: 30, y1: 78 } as const;

export function assessQuality(
  image: RgbImage,
  detection: FaceDetection,
  limits: QualityLimits = DEFAULT_QUALITY_LIMITS,
  aligned: AlignedFace = alignFace(image, detection),
): QualityReport {
  const measures = measureQuality(image, detection, aligned);
  const reasons = qualityFailures(measures, limits);
  return { ok: reasons.length === 0, reasons, ...publicMeasures(measures) };
}

/** Everything the gate looks at, measured once. */
export interface QualityMeasures {
  readonly score: number;
  readonly interEyeDistancePx: number;
  readonly sharpness: number;
  readonly yawDeg: number;
  readonly rollDeg: number;
  /** Share of the detection box outside the image (0 = all inside). */
  readonly outOfFrame: number;
}

export function measureQuality(image: RgbImage, detection: FaceDetection, aligned: AlignedFace = alignFace(image, detection)): QualityMeasures {
  const [rightEye, leftEye] = detection.keypoints;
  const k = aligned.width / 112;
  return {
    score: detection.score,
    interEyeDistancePx: Math.hypot(leftEye.x - rightEye.x, leftEye.y - rightEye.y),
    sharpness: laplacianVariance(aligned, {
      x0: Math.round(SHARPNESS_REGION_112.x0 * k),
      x1: Math.round(SHARPNESS_REGION_112.x1 * k),
      y0: Math.round(SHARPNESS_REGION_112.y0 * k),
      y1: Math.round(SHARPNESS_REGION_112.y1 * k),
    }),
    yawDeg: estimateYawDeg(detection),
    rollDeg: estimateRollDeg(detection),
    outOfFrame: outOfFrameFraction(image, detection),
  };
}

/** The checks `measures` fail under `limits`, in a fixed order. */
export function qualityFailures(m: QualityMeasures, limits: QualityLimits): QualityRejection[] {
  const reasons: QualityRejection[] = [];
  if (m.score < limits.minScore) reasons.push('low_score');
  if (m.interEyeDistancePx < limits.minInterEyePx) reasons.push('too_small');
  if (m.sharpness < limits.minSharpness) reasons.push('blurry');
  if (Math.abs(m.yawDeg) > limits.maxYawDeg || Math.abs(m.rollDeg) > limits.maxRollDeg) reasons.push('pose');
  if (m.outOfFrame > limits.maxOutOfFrame) reasons.push('out_of_frame');
  return reasons;
}

const publicMeasures = (m: QualityMeasures) => ({
  interEyeDistancePx: m.interEyeDistancePx,
  sharpness: m.sharpness,
  yawDeg: m.yawDeg,
  rollDeg: m.rollDeg,
});

/** Limits for faces seen without and with a mask: a mask moves the nose and mouth keypoints the pose estimate uses. */
export interface MaskAwareLimits {
  readonly unmasked: QualityLimits;
  readonly masked: QualityLimits;
}

/**
 * door:  a camera stream; it can wait for a better frame, so it refuses strictly and never warns.
 * photo: enrolment, `embed`, `eval`; one chance, so it refuses only faces that cannot be used and
 *        warns (with the door's limits) about the rest.
 */
export type QualityProfileName = 'door' | 'photo';

export interface QualityProfile {
  /** A face failing these is refused. */
  readonly refuse: MaskAwareLimits;
  /** A face passing `refuse` but failing these is accepted with warnings; null: no warnings. */
  readonly warn: MaskAwareLimits | null;
}

export type QualityProfiles = Readonly<Record<QualityProfileName, QualityProfile>>;

/**
 * Whether the face is masked: true/false when known (a synthetic mask the tool drew, a mask
 * classifier), null when not; then each limit is the looser of the two, so that neither a
 * masked nor an unmasked face is refused for what its own limits allow.
 */
export function limitsFor(limits: MaskAwareLimits, masked: boolean | null): QualityLimits {
  if (masked !== null) return masked ? limits.masked : limits.unmasked;
  const { unmasked: u, masked: m } = limits;
  return {
    minInterEyePx: Math.min(u.minInterEyePx, m.minInterEyePx),
    minSharpness: Math.min(u.minSharpness, m.minSharpness),
    maxYawDeg: Math.max(u.maxYawDeg, m.maxYawDeg),
    maxRollDeg: Math.max(u.maxRollDeg, m.maxRollDeg),
    minScore: Math.min(u.minScore, m.minScore),
    maxOutOfFrame: Math.max(u.maxOutOfFrame, m.maxOutOfFrame),
  };
}

/** The quality verdict under a profile: refusals in `reasons`, the profile's warnings in `warnings`. */
export function gateQuality(
  image: RgbImage,
  detection: FaceDetection,
  profile: QualityProfile,
  masked: boolean | null = null,
  aligned: AlignedFace = alignFace(image, detection),
): { readonly report: QualityReport; readonly measures: QualityMeasures } {
  const measures = measureQuality(image, detection, aligned);
  const reasons = qualityFailures(measures, limitsFor(profile.refuse, masked));
  const warnings = profile.warn ? qualityFailures(measures, limitsFor(profile.warn, masked)).filter((r) => !reasons.includes(r)) : [];
  return { report: { ok: reasons.length === 0, reasons, warnings, ...publicMeasures(measures) }, measures };
}

/** Angle of the line from the subject's right eye to the left eye; positive = clockwise on screen. */
export function estimateRollDeg(detection: FaceDetection): number {
  const [r, l] = detection.keypoints;
  return (Math.atan2(l.y - r.y, l.x - r.x) * 180) / Math.PI;
}

/**
 * Yaw from the nose tip's sideways offset from the eye midpoint, measured along the eye line
 * (so roll does not leak in): offset / interEye = depthRatio * tan(yaw). Positive when the
 * nose points to the image's right (the subject turns to their left).
 */
export function estimateYawDeg(detection: FaceDetection): number {
  const [r, l, nose] = detection.keypoints;
  const ex = l.x - r.x;
  const ey = l.y - r.y;
  const eyeDist = Math.hypot(ex, ey);
  if (eyeDist < 1e-6) return 90;
  const mx = (r.x + l.x) / 2;
  const my = (r.y + l.y) / 2;
  const along = ((nose.x - mx) * ex + (nose.y - my) * ey) / eyeDist;
  return (Math.atan(along / eyeDist / NOSE_DEPTH_RATIO) * 180) / Math.PI;
}

/** Fraction of the detection box's area lying outside the image. */
export function outOfFrameFraction(image: RgbImage, detection: FaceDetection): number {
  const { x, y, width, height } = detection.box;
  const area = width * height;
  if (!(area > 0)) return 1;
  const ix = Math.max(0, Math.min(x + width, image.width) - Math.max(x, 0));
  const iy = Math.max(0, Math.min(y + height, image.height) - Math.max(y, 0));
  return 1 - (ix * iy) / area;
}

/**
 * Variance of the 4-neighbour Laplacian of the grey (BT.601 luma) image over `region`
 * (exclusive upper bounds). High for crisp edges, low for blur.
 */
export function laplacianVariance(
  image: RgbImage,
  region: { x0: number; x1: number; y0: number; y1: number } = { x0: 0, x1: image.width, y0: 0, y1: image.height },
): number {
  const { width: w, data } = image;
  const x0 = Math.max(1, region.x0);
  const y0 = Math.max(1, region.y0);
  const x1 = Math.min(image.width - 1, region.x1);
  const y1 = Math.min(image.height - 1, region.y1);
  if (x1 <= x0 || y1 <= y0) return 0;
  const grey = (x: number, y: number): number => {
    const p = (y * w + x) * 3;
    return 0.299 * data[p]! + 0.587 * data[p + 1]! + 0.114 * data[p + 2]!;
  };
  let sum = 0;
  let sumSq = 0;
  for (let y = y0; y < y1; y++) {
    for (let x = x0; x < x1; x++) {
      const lap = grey(x - 1, y) + grey(x + 1, y) + grey(x, y - 1) + grey(x, y + 1) - 4 * grey(x, y);
      sum += lap;
      sumSq += lap * lap;
    }
  }
  const n = (x1 - x0) * (y1 - y0);
  const mean = sum / n;
  return sumSq / n - mean * mean;
}
