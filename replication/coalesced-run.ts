// "Do it again soon" for the authority's publishing and the replica's reporting: never two
// passes at once, and a request made while a pass runs is never lost — it earns one more pass.
export class CoalescedRun {
  private running: Promise<void> | null = null;
  private asked = false;

  constructor(
    private readonly pass: () => Promise<void>,
    private readonly onError: (err: Error) => void,
    /** Checked before each pass: no pass starts while this is false (e.g. disconnected). */
    private readonly canRun: () => boolean = () => true,
  ) {}

  /** Resolves when the passes this request started (or joined) are over. Never rejects. */
  request(): Promise<void> {
    this.asked = true;
    // Started a tick later: a run with nothing to do would otherwise finish (and reset
    // `running`) before the assignment, leaving a settled promise in place for good.
    this.running ??= Promise.resolve().then(() => this.runWhileAsked());
    return this.running;
  }

  /** Resolves once no pass is running. */
  async idle(): Promise<void> {
    await this.running;
  }

  // The flag is checked and `running` reset with no await in between: no request is lost.
  private async runWhileAsked(): Promise<void> {
    try {
      while (this.asked && this.canRun()) {
        this.asked = false;
        await this.pass();
      }
    } catch (err) {
      this.onError(err as Error);
    } finally {
      this.running = null;
    }
  }
}
