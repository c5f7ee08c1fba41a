// The policy step's rule, as a pure function of the facts and the instant: validity, then door,
// then schedule, then the door's second factor (docs/access-policy.md, "Evaluation order").
import type { PolicyDenial, PolicyFacts } from './model.js';
import { isScheduleOpen } from './schedule.js';

/** null: the recognised person may pass now; otherwise why not. */
export function evaluatePolicy(facts: PolicyFacts, at: number): PolicyDenial | null {
  const { validFrom, validUntil } = facts.validity;
  if (validFrom !== null && at < validFrom) return 'not_yet_valid';
  if (validUntil !== null && at >= validUntil) return 'expired';
  if (facts.settings.mode === 'enforced') {
    if (facts.doorGrants.length === 0) return 'door_not_permitted';
    const open = facts.doorGrants.some(
      (rules) => rules === null || isScheduleOpen(rules, at, facts.settings.timeZone, facts.isHoliday),
    );
    if (!open) return 'outside_schedule';
  }
  if (facts.factors === 'face+pin') return 'pin_required';
  return null;
}
