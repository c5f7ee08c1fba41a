// The step between identity and the doors: the track decider says who it is, a DecisionPolicy
// says whether they may pass here and now. Declared here so the camera loop's wiring
// (daemon/appliance.ts) can pass any implementation; access/policy/ holds the site's one.
import type { CameraConfig } from '../firmware-config/schema.js';
import type { TrackDecision } from './track-decider.js';

export interface DecisionPolicy {
  /** The decision the door gets: `decision` itself, or a deny with a policy reason. */
  apply(decision: TrackDecision, camera: CameraConfig): TrackDecision;
}
