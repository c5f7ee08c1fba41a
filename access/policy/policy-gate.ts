// The DecisionPolicy of a maskgate site: a decision the face step would grant is checked against
// the access policy for the camera's door; everything else passes untouched.
import type { CameraConfig } from '../../firmware-config/schema.js';
import type { DecisionPolicy } from '../decision-policy.js';
import type { TrackDecision } from '../track-decider.js';
import type { AccessPolicy } from './access-policy.js';
import type { PinEntry } from './pin-entry.js';

export class PolicyGate implements DecisionPolicy {
  constructor(
    private readonly policy: AccessPolicy,
    private readonly pinEntry: PinEntry,
  ) {}

  apply(decision: TrackDecision, camera: CameraConfig): TrackDecision {
    if (decision.outcome !== 'grant' || decision.personId === null) return decision;
    const denial = this.policy.check(decision.personId, camera.doorId, decision.decidedAt);
    if (denial === null) return decision;
    const denied: TrackDecision = { ...decision, outcome: 'deny', reason: denial };
    if (denial === 'pin_required') this.pinEntry.expect(denied, camera);
    return denied;
  }
}
