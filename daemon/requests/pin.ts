// `pin`: a face+pin door sends the PIN typed after a `pin_required` decision. The PIN settles
// that decision with a new one (pin_accepted / pin_rejected / pin_locked), which is recorded and
// published like every decision and returned in the response. The PIN itself is never logged.
import type { PinEntry } from '../../access/policy/pin-entry.js';
import type { TrackDecision } from '../../access/track-decider.js';
import type { CameraConfig } from '../../firmware-config/schema.js';
import { PinRequestSchema, type PinResult } from '../mqtt/messages.js';
import { defineHandler, RequestError, type RequestHandler } from './dispatcher.js';

export interface PinRequestDeps {
  readonly entry: Pick<PinEntry, 'submit'>;
  /** Records and publishes the decision (the appliance's DecisionSink). */
  readonly record: (decision: TrackDecision, camera: CameraConfig) => void;
  readonly now?: () => number;
}

export function pinHandler(deps: PinRequestDeps): RequestHandler {
  const now = deps.now ?? Date.now;
  return defineHandler({
    name: 'pin',
    schema: PinRequestSchema,
    handle: async (request): Promise<PinResult> => {
      const settled = await deps.entry.submit(request.doorId, request.eventId, request.pin, now());
      if (settled.status === 'not_expected') {
        throw new RequestError('pin_not_expected', `no pin_required decision ${request.eventId} is waiting for a PIN at door ${request.doorId}`);
      }
      const { decision, camera, lockedUntil } = settled;
      deps.record(decision, camera);
      return {
        eventId: decision.eventId,
        outcome: decision.outcome === 'grant' ? 'grant' : 'deny',
        reason: decision.reason as PinResult['reason'],
        personId: decision.personId!,
        lockedUntil: lockedUntil === null ? null : new Date(lockedUntil).toISOString(),
      };
    },
  });
}
