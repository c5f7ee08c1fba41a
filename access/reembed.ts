// Re-embedding after a model change: every stored aligned crop that has no template for the
// configured model is embedded again, in the background, one face at a time so that the camera
// loop's own embeddings queue behind at most one crop. Each new template is matchable as soon
// as it is written (Gallery.addTemplate), so people come back one by one instead of all at the
// end; a final Gallery.reload() re-syncs the index with the store.
//
// Templates of the previous model are not matched meanwhile: probes come from the new model,
// and a score between two different embedding spaces means nothing (it could grant a stranger).
// People not yet re-embedded are therefore not recognised until their turn — fail-safe.
import type { Logger } from 'pino';
import type { Gallery } from './gallery.js';
import type { Embedder } from '../pipeline/embedder.js';
import { decodeImage } from '../pipeline/image.js';
import { StoreError } from '../store/errors.js';

export interface ReembedProgress {
  readonly modelId: string;
  readonly running: boolean;
  /** Faces without a template for modelId when the current (or last) run started. */
  readonly total: number;
  /** Of those, re-embedded, or deleted while waiting (nothing left to do). */
  readonly done: number;
  /** Of those, whose crop could not be decoded or embedded. */
  readonly failed: number;
  readonly startedAt: number | null;
  readonly finishedAt: number | null;
}

export interface ReembedJobOptions {
  readonly gallery: Gallery;
  /** The embedder the gallery's analyzer uses (Core.embedder). */
  readonly embedder: Embedder;
  readonly logger: Logger;
  readonly now?: () => number;
}

/** A stored crop is a 112x112 PNG; anything near this size is not one. */
const MAX_CROP_PIXELS = 512 * 512;

export class ReembedJob {
  private state: Omit<ReembedProgress, 'modelId' | 'running'> = { total: 0, done: 0, failed: 0, startedAt: null, finishedAt: null };
  private run: Promise<void> | null = null;
  private stopRequested = false;
  private readonly now: () => number;

  constructor(private readonly options: ReembedJobOptions) {
    if (options.embedder.modelId !== options.gallery.modelId) {
      throw new Error(`re-embedding needs the gallery's embedder (${options.gallery.modelId}), got ${options.embedder.modelId}`);
    }
    this.now = options.now ?? Date.now;
  }

  get progress(): ReembedProgress {
    return { modelId: this.options.gallery.modelId, running: this.run !== null, ...this.state };
  }

  /** Faces that still have no template for the current model. */
  pendingCount(): number {
    return this.options.gallery.facesMissingTemplate().length;
  }

  /** Starts a run unless one is going; false when one already was. Never rejects. */
  start(): boolean {
    if (this.run) return false;
    this.stopRequested = false;
    this.run = this.reembedAll()
      .catch((err: unknown) => this.options.logger.error({ err: (err as Error).message }, 're-embedding stopped by an error'))
      .finally(() => {
        this.run = null;
      });
    return true;
  }

  /** Resolves when no run is in progress. */
  async whenIdle(): Promise<void> {
    await this.run;
  }

  /** Stops after the face in progress; resolves once stopped. Call before closing the embedder. */
  async stop(): Promise<void> {
    this.stopRequested = true;
    await this.run;
  }

  private async reembedAll(): Promise<void> {
    const { gallery, embedder, logger } = this.options;
    const modelId = gallery.modelId;
    // A plain array of ids: embedding is async and writes templates in between, which an open
    // SQLite cursor would block. Ids only, so even a large gallery costs little memory.
    const pending = gallery.facesMissingTemplate();
    this.state = { total: pending.length, done: 0, failed: 0, startedAt: this.now(), finishedAt: null };
    if (pending.length > 0) logger.info({ modelId, faces: pending.length }, 're-embedding stored crops for the configured model');
    for (const { faceId } of pending) {
      if (this.stopRequested) break;
      const crop = gallery.crop(faceId);
      if (!crop) {
        this.state = { ...this.state, done: this.state.done + 1 };
        continue;
      }
      try {
        const image = await decodeImage(crop, { maxPixels: MAX_CROP_PIXELS });
        const [embedding] = await embedder.embed([image]);
        gallery.addTemplate(faceId, embedding!);
        this.state = { ...this.state, done: this.state.done + 1 };
      } catch (err) {
        if (err instanceof StoreError && err.code === 'STORE_NOT_FOUND') {
          this.state = { ...this.state, done: this.state.done + 1 }; // deleted while we embedded it
        } else {
          this.state = { ...this.state, failed: this.state.failed + 1 };
          logger.warn({ faceId, err: (err as Error).message }, 'could not re-embed a stored crop');
        }
      }
      // Let HTTP, MQTT and the camera loop run between faces.
      await new Promise((resolve) => setImmediate(resolve));
    }
    this.state = { ...this.state, finishedAt: this.now() };
    if (pending.length > 0) {
      gallery.reload();
      logger.info({ modelId, done: this.state.done, failed: this.state.failed, stopped: this.stopRequested }, 're-embedding finished');
    }
  }
}
