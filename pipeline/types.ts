// Shared value types that flow between the pipeline stages. Kept free of any I/O so that
// every room (daemon, enroll, bench, tools) can depend on them.

/** A packed, row-major RGB image (3 bytes per pixel, no padding). */
export interface RgbImage {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8Array;
}

/** One decoded camera frame. */
export interface Frame extends RgbImage {
  /** Monotonic sequence number within one source, starting at 0. */
  readonly sequence: number;
  /** Wall-clock time (ms since epoch) at which the frame arrived from the source. */
  readonly receivedAt: number;
  /** Identifier of the camera/source that produced it. */
  readonly sourceId: string;
}

export interface Point {
  readonly x: number;
  readonly y: number;
}

export interface Box {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

/**
 * BlazeFace keypoints, in image pixels, in the model's order:
 * right eye, left eye, nose tip, mouth centre, right ear tragion, left ear tragion
 * ("right" = the subject's right, which appears on the image's left).
 */
export type FaceKeypoints = readonly [Point, Point, Point, Point, Point, Point];

export interface FaceDetection {
  readonly box: Box;
  readonly score: number;
  readonly keypoints: FaceKeypoints;
}

/** A 112x112 RGB crop warped onto the ArcFace template. */
export interface AlignedFace extends RgbImage {
  /** The detection the crop was made from, in source-image pixels. */
  readonly detection: FaceDetection;
}

export type QualityRejection = 'too_small' | 'blurry' | 'pose' | 'low_score' | 'out_of_frame';

export interface QualityReport {
  readonly ok: boolean;
  /** Why the face was refused; empty when ok. */
  readonly reasons: readonly QualityRejection[];
  /** Checks a photo-profile face failed without being refused (it may be recognised worse). */
  readonly warnings?: readonly QualityRejection[];
  readonly interEyeDistancePx: number;
  readonly sharpness: number;
  /** Estimated yaw and roll in degrees, derived from keypoints. */
  readonly yawDeg: number;
  readonly rollDeg: number;
}

/** What PAD and the mask classifier said of one usable face (pipeline/face-screen.ts). */
export interface FaceEvidence {
  /** Attack probability of this frame's face; null when the PAD model failed. */
  readonly padScore: number | null;
  /** Whether the face wears a mask; null when the classifier failed. */
  readonly masked: boolean | null;
}
