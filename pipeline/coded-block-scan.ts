// The scanning half of the coded search (GalleryMatcher.searchCoded keeps the proof and the
// float32 re-rank): the `candidates` best rows by int8 code of every block of a gallery's codes,
// each block scanned once, on a helper's copy or on this thread, all at once. This thread holds
// every block, so it can always finish alone: a helper that failed, or is late (HelperDeadline),
// has its blocks scanned here.
import { setImmediate as nextTurn, setTimeout as sleep } from 'node:timers/promises';
import type { CodedRows } from './coded-rows.js';
import type { BlockScanHelper, HelperPart } from './coded-scan-helper.js';
import { HelperDeadline } from './helper-deadline.js';
import { topRowsByCodeDot, type TopRows } from './int8-top-rows.js';

/** Who scans which blocks (coded-scan-threads.ts decides it for the appliance). */
export interface CodedScanLayout {
  /** Threads that scan their share of the blocks beside this one (coded-scan-helper.ts). */
  readonly helpers?: readonly BlockScanHelper[];
  /**
   * Whether this thread scans a share of the blocks too (default true). False when the helpers
   * have CPUs of their own (coded-scan-threads.ts): this thread then only sends the probe and
   * re-ranks. Without healthy helpers this thread scans everything whatever it says.
   */
  readonly scanHere?: boolean;
}

/** The best rows by code of one block (row numbers within the block). */
export interface BlockTop {
  readonly block: number;
  readonly found: TopRows;
}

/** This thread's scan releases the event loop after this many rows (~2 ms of the int8 kernel). */
const YIELD_ROWS = 65_536;
/** ... and while sending helpers their blocks, after this many bytes copied (~2 ms). */
const YIELD_BYTES_SENT = 8 * 1024 * 1024;

/** Who scans block `block`: -1 this thread, else the index of a helper. */
function blockOwner(block: number, helperCount: number, scanHere: boolean): number {
  return scanHere ? (block % (helperCount + 1)) - 1 : block % helperCount;
}

interface HealthyThreads {
  readonly helpers: readonly BlockScanHelper[];
  readonly scanHere: boolean;
}

/** A helper that failed once is never trusted again: its blocks are then scanned here. */
function healthy(layout: CodedScanLayout): HealthyThreads {
  const helpers = layout.helpers?.every((helper) => !helper.broken) ? layout.helpers : [];
  return { helpers, scanHere: layout.scanHere !== false || helpers.length === 0 };
}

/** Resolves when `work` settles or after `ms`, whichever comes first. */
async function settledOrAfter(work: Promise<unknown>, ms: number): Promise<void> {
  if (ms === Number.POSITIVE_INFINITY) return void (await work);
  if (ms <= 0) return;
  const timer = new AbortController();
  await Promise.race([work, sleep(ms, undefined, { signal: timer.signal }).catch(() => {})]);
  timer.abort();
}

/** One per gallery matcher: it learns how long its helpers take. */
export class CodedBlockScan {
  private readonly deadline = new HelperDeadline();

  /**
   * The best `candidates` rows of every block of the first `rowCount` rows of `codes`, in no
   * particular order; null when `unchanged` turned false while the event loop was released (the
   * rows are no longer the ones being scanned).
   */
  async scan(codes: CodedRows, rowCount: number, probe: Int8Array, candidates: number, layout: CodedScanLayout, unchanged: () => boolean): Promise<BlockTop[] | null> {
    // Decided once: a helper failing meanwhile is handled below, like a late one.
    const threads = healthy(layout);
    const { helpers, scanHere } = threads;
    const blockCount = codes.blockCount(rowCount);
    const rowsIn = (block: number): number => codes.rowsInBlock(block, rowCount);
    const owned = await this.send(codes, rowCount, threads, unchanged);
    if (!owned || !unchanged()) return null;

    let scannedSinceYield = 0;
    /** One block scanned on this thread; null when the rows changed while the loop was released. */
    const scanHereBlock = async (block: number): Promise<BlockTop | null> => {
      if (scannedSinceYield >= YIELD_ROWS) {
        await nextTurn();
        if (!unchanged()) return null;
        scannedSinceYield = 0;
      }
      scannedSinceYield += rowsIn(block);
      return { block, found: topRowsByCodeDot(codes.block(block, rowsIn(block)), probe, candidates) };
    };

    // Each helper's answer once it lands; null if it failed (it keeps its failure, and later
    // searches scan its blocks here). Never a rejection: this thread may be busy when it comes.
    const sent = performance.now();
    const answers: (TopRows[] | null | undefined)[] = owned.map((mine) => (mine.length === 0 ? [] : undefined));
    let first = true;
    const landed = owned.map(async (mine, i) => {
      if (mine.length === 0) return; // a gallery of a block or two
      try {
        answers[i] = await helpers[i]!.scan(probe, candidates, mine);
        // The first answer says how long a share takes on a core that is free: the others are
        // expected about then.
        if (first) this.deadline.answered(performance.now() - sent);
        first = false;
      } catch {
        answers[i] = null;
      }
    });
    const tops: BlockTop[] = [];
    for (let block = 0; block < blockCount; block++) {
      if (blockOwner(block, helpers.length, scanHere) !== -1) continue;
      const top = await scanHereBlock(block);
      if (!top) return null;
      tops.push(top);
    }
    await settledOrAfter(Promise.all(landed), this.deadline.afterMs - (performance.now() - sent));
    // A helper still scanning past its deadline (its core busy) or failed: this thread scans
    // that helper's blocks, unless its answer lands meanwhile.
    for (const [i, mine] of owned.entries()) {
      const here: BlockTop[] = [];
      for (const { block } of answers[i] ? [] : mine) {
        if (answers[i]) break;
        const top = await scanHereBlock(block);
        if (!top) return null;
        here.push(top);
      }
      const answer = answers[i];
      if (answer) answer.forEach((found, j) => tops.push({ block: mine[j]!.block, found }));
      else tops.push(...here);
    }
    return unchanged() ? tops : null;
  }

  /**
   * Brings each helper's copy of its blocks (blockOwner) up to date, releasing the event loop
   * every YIELD_BYTES_SENT. Returns each helper's blocks, or null when `unchanged` turned false
   * while the loop was released (the next scan sends what is left).
   */
  sendHelpersTheirBlocks(codes: CodedRows, rowCount: number, layout: CodedScanLayout, unchanged: () => boolean): Promise<HelperPart[][] | null> {
    return this.send(codes, rowCount, healthy(layout), unchanged);
  }

  private async send(codes: CodedRows, rowCount: number, threads: HealthyThreads, unchanged: () => boolean): Promise<HelperPart[][] | null> {
    const { helpers, scanHere } = threads;
    if (helpers.length === 0) return [];
    const blockCount = codes.blockCount(rowCount);
    codes.mirrorTo(helpers, `${helpers.length} helpers${scanHere ? ' and this thread' : ''}`);
    const owned: HelperPart[][] = helpers.map(() => []);
    let sentSinceYield = 0;
    for (let block = 0; block < blockCount; block++) {
      const helper = blockOwner(block, helpers.length, scanHere);
      if (helper < 0) continue;
      const inBlock = codes.rowsInBlock(block, rowCount);
      owned[helper]!.push({ block, rows: inBlock });
      sentSinceYield += codes.sendBlock(block, inBlock, helpers[helper]!);
      if (sentSinceYield >= YIELD_BYTES_SENT) {
        await nextTurn();
        if (!unchanged()) return null;
        sentSinceYield = 0;
      }
    }
    return owned;
  }
}
