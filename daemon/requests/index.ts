// The requests the appliance answers, one module each, registered with the one dispatcher.
import type { Logger } from 'pino';
import type { StatusSummary } from '../mqtt/messages.js';
import { RequestDispatcher } from './dispatcher.js';
import { lastDecisionHandler, type LastDecisions } from './last-decision.js';
import { pinHandler, type PinRequestDeps } from './pin.js';
import { reloadConfigHandler, type ConfigReloader } from './reload-config.js';
import { statusHandler } from './status.js';

export interface RequestDependencies {
  readonly lastDecisions: Pick<LastDecisions, 'forDoor'>;
  readonly status: () => StatusSummary;
  readonly reloadConfig: ConfigReloader;
  /** face+pin doors (access policy); absent: the `pin` request is unknown. */
  readonly pin?: PinRequestDeps;
}

export function createRequestDispatcher(deps: RequestDependencies, logger: Logger): RequestDispatcher {
  return new RequestDispatcher(
    [
      lastDecisionHandler(deps.lastDecisions),
      statusHandler(deps.status),
      reloadConfigHandler(deps.reloadConfig),
      ...(deps.pin ? [pinHandler(deps.pin)] : []),
    ],
    logger,
  );
}
