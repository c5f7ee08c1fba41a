// The last few error lines the appliance logged, for the console's Health page. Filled by a pino
// hook on the root logger (hooks reach every child logger), so no call site has to remember it.
// Only the message, the component and an `err` text are kept: log objects are already free of
// secrets and biometric data (see logger.ts), and nothing here goes to disk.
import type { LoggerOptions } from 'pino';
import type { RecentErrorType } from '../enroll/console/ports.js';

/** pino's numeric level for `error`; `fatal` (60) is kept too. */
const ERROR_LEVEL = 50;
const MAX_MESSAGE = 500;

export class RecentErrors {
  private readonly entries: RecentErrorType[] = [];

  constructor(
    private readonly capacity = 50,
    private readonly now: () => Date = () => new Date(),
  ) {}

  record(component: string | null, message: string): void {
    this.entries.push({ at: this.now().toISOString(), component, message: message.slice(0, MAX_MESSAGE) });
    if (this.entries.length > this.capacity) this.entries.shift();
  }

  /** Newest first. */
  list(): RecentErrorType[] {
    return [...this.entries].reverse();
  }

  /** pino `hooks` that record every error-level line here before it is written. */
  hooks(): NonNullable<LoggerOptions['hooks']> {
    const record = (component: string | null, text: string): void => this.record(component, text);
    return {
      logMethod(args, method, level) {
        if (level >= ERROR_LEVEL) {
          const [first, second] = args as unknown[];
          const fields = typeof first === 'object' && first !== null ? (first as Record<string, unknown>) : {};
          const text = typeof first === 'string' ? first : typeof second === 'string' ? second : 'error';
          const err = typeof fields['err'] === 'string' ? `: ${fields['err']}` : fields['err'] instanceof Error ? `: ${fields['err'].message}` : '';
          const bindings = this.bindings() as Record<string, unknown>;
          const component = typeof bindings['component'] === 'string' ? bindings['component'] : null;
          record(component, `${text}${err}`);
        }
        return method.apply(this, args);
      },
    };
  }
}
