// The systemd side of `Type=notify`: READY=1 once the appliance runs, WATCHDOG=1 while its
// pipeline moves, STATUS=… when the summary changes, STOPPING=1 on shutdown.
//
// Node cannot write to a unix *datagram* socket (node:net is stream-only, node:dgram is UDP
// only), so each notification runs systemd's own `systemd-notify` (hence NotifyAccess=all in the
// unit). Chosen over a Python one-liner because it ships with systemd itself — wherever
// NOTIFY_SOCKET is set by systemd, the tool is there, with no interpreter to install on an
// appliance image — and because it waits for the manager to process the message (sd_notify
// barrier) before exiting, which avoids the race where a short-lived sender is gone before
// systemd can attribute its message to the service. One process every WatchdogSec/2 is cheap.
import { spawn } from 'node:child_process';
import type { Logger } from 'pino';

export interface SystemdNotifierOptions {
  /** The notification tool; a test may point it elsewhere. Default `systemd-notify` on PATH. */
  readonly command?: string;
  /** How long one notification may take before the tool is killed. */
  readonly timeoutMs?: number;
}

export class SystemdNotifier {
  private queue: Promise<unknown> = Promise.resolve();
  private lastFailure: string | null = null;

  private constructor(
    private readonly env: NodeJS.ProcessEnv,
    /** Watchdog timeout systemd expects pings within, or null when WatchdogSec is not set for us. */
    readonly watchdogMs: number | null,
    private readonly logger: Logger,
    private readonly options: SystemdNotifierOptions,
  ) {}

  /**
   * A notifier when the process runs under systemd with `Type=notify` (NOTIFY_SOCKET set), else
   * null. `env` is the process environment, passed in by the CLI entry point; `pid` is ours, to
   * honour WATCHDOG_PID (the watchdog belongs to the main process only).
   */
  static fromEnvironment(env: NodeJS.ProcessEnv, pid: number, logger: Logger, options: SystemdNotifierOptions = {}): SystemdNotifier | null {
    if (!env['NOTIFY_SOCKET']) return null;
    const usec = Number(env['WATCHDOG_USEC']);
    const watchdogPid = env['WATCHDOG_PID'];
    const forUs = watchdogPid === undefined || Number(watchdogPid) === pid;
    const watchdogMs = Number.isFinite(usec) && usec > 0 && forUs ? usec / 1000 : null;
    return new SystemdNotifier(env, watchdogMs, logger, options);
  }

  ready(status: string): Promise<boolean> {
    return this.send('READY=1', `STATUS=${oneLine(status)}`);
  }

  status(status: string): Promise<boolean> {
    return this.send(`STATUS=${oneLine(status)}`);
  }

  watchdog(): Promise<boolean> {
    return this.send('WATCHDOG=1');
  }

  stopping(status = 'stopping'): Promise<boolean> {
    return this.send('STOPPING=1', `STATUS=${oneLine(status)}`);
  }

  /** Sends the assignments as one message, after any earlier one; resolves false (logged) on failure. */
  send(...assignments: string[]): Promise<boolean> {
    const next = this.queue.then(() => this.run(assignments));
    this.queue = next;
    return next;
  }

  private run(assignments: string[]): Promise<boolean> {
    return new Promise((resolve) => {
      const child = spawn(this.options.command ?? 'systemd-notify', assignments, { env: this.env, stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr = (stderr + chunk).slice(-500)));
      const timer = setTimeout(() => child.kill('SIGKILL'), this.options.timeoutMs ?? 5000);
      const done = (failure: string | null) => {
        clearTimeout(timer);
        if (failure === null) {
          this.lastFailure = null;
          resolve(true);
          return;
        }
        // Said once per distinct problem: a watchdog ping fails the same way every few seconds.
        if (failure !== this.lastFailure) this.logger.error({ notification: assignments.map(fieldName), err: failure }, 'systemd notification failed');
        this.lastFailure = failure;
        resolve(false);
      };
      child.once('error', (err: NodeJS.ErrnoException) =>
        done(err.code === 'ENOENT' ? 'systemd-notify is not installed, but NOTIFY_SOCKET is set' : err.message),
      );
      child.once('close', (code, signal) => {
        if (code === 0) done(null);
        else done(signal ? `systemd-notify killed by ${signal}` : `systemd-notify exited with ${code}: ${stderr.trim()}`);
      });
    });
  }
}

const fieldName = (assignment: string) => assignment.slice(0, assignment.indexOf('='));
const oneLine = (text: string) => text.replace(/[\r\n]+/g, ' ').slice(0, 400);

/** What the watchdog needs to know about the service it supervises. */
export interface Supervised {
  /** True when the pipeline is stuck (frames arrive, none is analysed) for `stallMs`. */
  isStalled(now: number, stallMs: number): boolean;
  /** One line for `systemctl status`; sent again whenever it changes. */
  statusLine(): string;
}

/**
 * Pings the watchdog every half timeout while the service is healthy. With cameras, health is
 * "frames that arrive get analysed"; with none, the timer firing at all proves that the event
 * loop is alive. A stalled pipeline stops the pings, and systemd restarts the service.
 */
export class WatchdogFeeder {
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  private withholding = false;
  private lastStatus: string | null = null;

  constructor(
    private readonly notifier: Pick<SystemdNotifier, 'watchdog' | 'status'>,
    private readonly service: Supervised,
    private readonly options: { readonly intervalMs: number; readonly stallMs: number; readonly now?: () => number },
    private readonly logger: Logger,
  ) {}

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.tick(), this.options.intervalMs);
    void this.tick();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.stopped = true;
  }

  /** One watchdog period: feed when healthy, refresh STATUS when it changed. */
  async tick(): Promise<'fed' | 'withheld'> {
    const now = (this.options.now ?? Date.now)();
    if (this.service.isStalled(now, this.options.stallMs)) {
      if (!this.withholding) {
        this.logger.error({ stallMs: this.options.stallMs }, 'pipeline stalled: frames arrive but none is analysed; withholding the watchdog so systemd restarts the service');
        this.withholding = true;
        this.lastStatus = null;
        await this.notifier.status('pipeline stalled: frames arrive but none is analysed');
      }
      return 'withheld';
    }
    if (this.withholding) this.logger.info('pipeline moving again; feeding the watchdog');
    this.withholding = false;
    await this.notifier.watchdog();
    // A tick in flight when the service began stopping must not read its closing state.
    if (this.stopped) return 'fed';
    const status = this.service.statusLine();
    if (status !== this.lastStatus) {
      this.lastStatus = status;
      await this.notifier.status(status);
    }
    return 'fed';
  }
}

/** The handle `maskgate run` keeps: tells systemd we are stopping, and stops the pings. */
export interface SystemdSupervision {
  stopping(): Promise<void>;
}

/** READY=1 now, then the watchdog (when systemd asked for one). No-op outside systemd. */
export async function superviseWithSystemd(notifier: SystemdNotifier | null, service: Supervised, logger: Logger): Promise<SystemdSupervision> {
  if (!notifier) return { stopping: async () => undefined };
  await notifier.ready(service.statusLine());
  let feeder: WatchdogFeeder | null = null;
  if (notifier.watchdogMs !== null) {
    const intervalMs = Math.max(50, notifier.watchdogMs / 2);
    // A frame may legitimately take seconds on a slow CPU (first inference warms up the model).
    const stallMs = Math.max(10_000, notifier.watchdogMs / 2);
    feeder = new WatchdogFeeder(notifier, service, { intervalMs, stallMs }, logger);
    feeder.start();
    logger.info({ intervalMs, stallMs }, 'feeding the systemd watchdog');
  }
  return {
    async stopping() {
      feeder?.stop();
      await notifier.stopping();
    },
  };
}
