// `last-decision`: a door that (re)connects asks what the appliance last decided for it, so it
// never has to rely on a retained verdict. Only an unexpired decision is returned.
import { LastDecisionRequestSchema } from '../mqtt/messages.js';
import { type DecisionMessage } from '../../access/decision-message.js';
import { defineHandler, type RequestHandler } from './dispatcher.js';

/** The latest decision per door, kept in memory (grants live seconds; a restart forgets them). */
export class LastDecisions {
  private readonly byDoor = new Map<string, DecisionMessage>();

  constructor(private readonly now: () => number = Date.now) {}

  record(message: DecisionMessage): void {
    this.byDoor.set(message.doorId, message);
  }

  /** The door's last decision, or null when there is none or it has expired. */
  forDoor(doorId: string): DecisionMessage | null {
    const message = this.byDoor.get(doorId);
    if (!message) return null;
    if (Date.parse(message.expiresAt) <= this.now()) {
      this.byDoor.delete(doorId);
      return null;
    }
    return message;
  }
}

export function lastDecisionHandler(decisions: Pick<LastDecisions, 'forDoor'>): RequestHandler {
  return defineHandler({
    name: 'last-decision',
    schema: LastDecisionRequestSchema,
    handle: (request) => decisions.forDoor(request.doorId),
  });
}
