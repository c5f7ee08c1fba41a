// How long the coded scan waits for a helper thread before scanning the helper's blocks itself
// (GalleryMatcher.searchCoded; the event-loop thread holds every block). A helper pinned to a
// CPU that something else keeps busy waits behind it at its lower priority, and a helper can die.
// Measured with a busy loop on one of this machine's two CPUs, 100,000 templates: 95th percentile
// 18 ms without a deadline, 8.5 ms with it (docs/performance.md, "Threads of their own"). A
// shorter deadline (1.5x + 0.5 ms) took over helpers that were about to answer on a quiet
// machine: median 2.7 ms against 2.5.

/** Answers kept to learn from: enough for a stable median, few enough to follow a reload. */
const KEPT = 16;
/** Below this many answers there is nothing to learn from ... */
const LEARNT_AFTER = 3;
/**
 * ... and a helper gets this long: far beyond any share measured here (a million templates take
 * ~16 ms a share), short enough that a helper that never answers (wedged, not failed) cannot hold
 * the decisions of a freshly started appliance.
 */
export const UNLEARNT_DEADLINE_MS = 1000;

export class HelperDeadline {
  private readonly recent: number[] = [];

  /**
   * Milliseconds after sending the probe past which a helper that has not answered is taken
   * over: twice the median time of recent answers, plus 1 ms for the scheduler;
   * UNLEARNT_DEADLINE_MS until there are enough answers to know.
   */
  get afterMs(): number {
    if (this.recent.length < LEARNT_AFTER) return UNLEARNT_DEADLINE_MS;
    const sorted = [...this.recent].sort((a, b) => a - b);
    return 2 * sorted[Math.floor(sorted.length / 2)]! + 1;
  }

  /**
   * The first helper of a search answered `ms` after the probe was sent. Only the first: later
   * ones may have waited for a busy core, and learning from them would teach it to wait too.
   */
  answered(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) return;
    this.recent.push(ms);
    if (this.recent.length > KEPT) this.recent.shift();
  }
}
