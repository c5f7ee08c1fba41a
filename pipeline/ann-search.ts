// The campus-sized decision search: an HNSW index (ann-index-worker.ts) proposes the nearest
// templates, and the matcher re-ranks them exactly in float32 from its own rows. The index
// follows the matcher through its change listener (enrolment, deletion, deactivation,
// replication, re-embedding all change the matcher, so all reach the index), and it is built in
// the background: the caller keeps its exact scan until `ready`.
//
// Keys are small integers handed out per face as it enters the index and never reused, so a face
// deleted and enrolled again under the same id can never be confused with its old entry.
import { setImmediate as nextTurn } from 'node:timers/promises';
import { AnnIndexWorker, type AnnIndexOptions } from './ann-index-worker.js';
import type { GalleryChangeListener, GalleryMatcher, Match } from './matcher.js';

export interface AnnSearchOptions extends Omit<AnnIndexOptions, 'dimension'> {
  /** Templates the index proposes per probe for the exact float32 re-rank. */
  readonly candidates: number;
  /** Templates copied to the index per turn of the event loop while building. */
  readonly buildBatch?: number;
}

export type AnnSearchState = 'idle' | 'building' | 'ready' | 'failed';

export interface AnnSearchEvent {
  readonly state: AnnSearchState;
  readonly templates: number;
  readonly buildMs?: number;
  readonly error?: string;
}

const DEFAULT_BUILD_BATCH = 2048;

export class AnnSearch implements GalleryChangeListener {
  private matcher: GalleryMatcher | null = null;
  private index: AnnIndexWorker | null = null;
  private stateNow: AnnSearchState = 'idle';
  private keyByFace = new Map<string, number>();
  private faceByKey: (string | undefined)[] = [];
  /** Entries removed from the graph since it was built: HNSW keeps them as tombstones. */
  private tombstones = 0;
  /** Bumped by every attach: a build or a search of an older one stops or gives up. */
  private generation = 0;

  constructor(
    private readonly options: AnnSearchOptions,
    private readonly onStateChange: (event: AnnSearchEvent) => void = () => {},
  ) {
    if (!Number.isInteger(options.candidates) || options.candidates < 1) {
      throw new RangeError(`candidates must be a positive integer, got ${options.candidates}`);
    }
  }

  get state(): AnnSearchState {
    return this.stateNow;
  }

  /** True when searches go to the index: built, healthy and following `matcher`. */
  serves(matcher: GalleryMatcher): boolean {
    return this.stateNow === 'ready' && this.matcher === matcher && !this.index?.broken;
  }

  /** True when the index follows `matcher` (whether built yet or not). */
  follows(matcher: GalleryMatcher): boolean {
    return this.matcher === matcher;
  }

  /**
   * Starts following `matcher` with a new index, built in the background from its current rows;
   * the previous index (another model, or a replaced gallery) is dropped.
   */
  attach(matcher: GalleryMatcher): void {
    this.detach();
    const generation = ++this.generation;
    this.matcher = matcher;
    this.index = AnnIndexWorker.create({ ...this.options, dimension: matcher.dimension });
    this.setState('building', {});
    matcher.observe(this);
    const started = performance.now();
    this.build(generation, matcher, this.index).then(
      () => {
        if (generation === this.generation) this.setState('ready', { buildMs: Math.round(performance.now() - started) });
      },
      (err: unknown) => {
        if (generation === this.generation) this.setState('failed', { error: (err as Error).message });
      },
    );
  }

  /**
   * The `k` best people for `probe` among the index's candidates, re-ranked exactly; null when
   * the index cannot answer (not built, broken, or the gallery was replaced meanwhile): the
   * caller then scans exactly.
   */
  async search(probe: Float32Array, k: number): Promise<Match[] | null> {
    const { matcher, index, generation } = this;
    if (!matcher || !index || !this.serves(matcher)) return null;
    let found;
    try {
      found = await index.search(probe, Math.max(this.options.candidates, k));
    } catch {
      if (generation === this.generation) this.setState('failed', { error: index.broken?.message ?? 'search failed' });
      return null;
    }
    if (generation !== this.generation) return null;
    const faceIds: string[] = [];
    for (const key of found.keys) {
      const faceId = this.faceByKey[key];
      if (faceId !== undefined) faceIds.push(faceId);
    }
    return matcher.rerank(probe, faceIds, k);
  }

  async close(): Promise<void> {
    const index = this.index;
    this.detach();
    this.generation++;
    await index?.close();
  }

  added(faceId: string, template: Float32Array): void {
    if (!this.index) return;
    const keys = Float64Array.of(this.assign(faceId));
    this.index.add(keys, Float32Array.from(template));
  }

  removed(faceId: string): void {
    const key = this.keyByFace.get(faceId);
    if (key === undefined || !this.index) return;
    this.keyByFace.delete(faceId);
    this.faceByKey[key] = undefined;
    this.index.remove(Float64Array.of(key));
    // A graph mostly made of tombstones wastes memory and search time: build it afresh (the
    // caller's exact scan serves meanwhile).
    if (++this.tombstones > Math.max(this.options.buildBatch ?? DEFAULT_BUILD_BATCH, this.keyByFace.size)) this.attach(this.matcher!);
  }

  replaced(): void {
    if (this.matcher) this.attach(this.matcher);
  }

  private detach(): void {
    this.matcher?.observe(null);
    void this.index?.close();
    this.matcher = null;
    this.index = null;
    this.keyByFace = new Map();
    this.faceByKey = [];
    this.tombstones = 0;
    this.stateNow = 'idle';
  }

  private assign(faceId: string): number {
    const key = this.faceByKey.length;
    this.faceByKey.push(faceId);
    this.keyByFace.set(faceId, key);
    return key;
  }

  /**
   * Copies the matcher's rows into the index a batch per turn of the event loop, one batch in
   * flight at a time (so the queue never holds a second copy of the gallery). Faces enrolled
   * meanwhile reach the index through `added`; faces deleted before their batch are skipped.
   */
  private async build(generation: number, matcher: GalleryMatcher, index: AnnIndexWorker): Promise<void> {
    const batch = this.options.buildBatch ?? DEFAULT_BUILD_BATCH;
    const dim = matcher.dimension;
    const faceIds = matcher.faceIds();
    for (let start = 0; start < faceIds.length; start += batch) {
      await nextTurn();
      if (generation !== this.generation) return;
      const vectors = new Float32Array(batch * dim);
      const keys: number[] = [];
      for (const faceId of faceIds.slice(start, start + batch)) {
        if (this.keyByFace.has(faceId) || !matcher.copyTemplate(faceId, vectors, keys.length * dim)) continue;
        keys.push(this.assign(faceId));
      }
      // Transferred to the worker, not copied; only a batch with skipped faces is trimmed.
      index.add(Float64Array.from(keys), keys.length === batch ? vectors : vectors.slice(0, keys.length * dim));
      await index.sync();
    }
    await index.sync();
    if (index.broken) throw index.broken;
  }

  private setState(state: AnnSearchState, details: Omit<AnnSearchEvent, 'state' | 'templates'>): void {
    this.stateNow = state;
    this.onStateChange({ state, templates: this.keyByFace.size, ...details });
  }
}
