// The console's Live stream (enroll/console/ports.ts DecisionFeed) over the decision sink. With
// face crops on (api.liveThumbnails) each decision's crop becomes a small JPEG data URL, encoded
// once for every open stream and only while a stream is open; it lives in the event and nowhere
// else (docs/console.md, "Face thumbnails").
import type { Logger } from 'pino';
import type { DecisionMessage } from '../access/decision-message.js';
import type { DecisionSink } from '../access/decision-sink.js';
import type { DecisionFeed, LiveDecisionMessage } from '../enroll/console/ports.js';
import { faceThumbnail } from '../pipeline/face-thumbnail.js';
import type { RgbImage } from '../pipeline/types.js';

type Listener = (message: LiveDecisionMessage) => void;

export class LiveDecisionFeed implements DecisionFeed {
  private readonly listeners = new Set<Listener>();
  private unsubscribeSink: (() => void) | null = null;
  /** Encoding is asynchronous; events still leave in the order the decisions were made. */
  private queue: Promise<void> = Promise.resolve();

  constructor(
    private readonly sink: Pick<DecisionSink, 'onDecision'>,
    private readonly logger: Logger,
  ) {}

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    this.unsubscribeSink ??= this.sink.onDecision((message, face) => this.publish(message, face));
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0) {
        this.unsubscribeSink?.();
        this.unsubscribeSink = null;
      }
    };
  }

  private publish(message: DecisionMessage, face: RgbImage | null): void {
    this.queue = this.queue
      .then(async (): Promise<LiveDecisionMessage> => {
        const thumbnail = face ? await this.thumbnail(message, face) : null;
        return thumbnail === null ? message : { ...message, thumbnail };
      })
      .then((live) => {
        for (const listener of this.listeners) listener(live);
      })
      // A failing stream must not stop the queue for the others.
      .catch((err: unknown) => this.logger.warn({ eventId: message.eventId, err: (err as Error).message }, 'live decision not streamed'));
  }

  private async thumbnail(message: DecisionMessage, face: RgbImage): Promise<string | null> {
    try {
      return await faceThumbnail(face);
    } catch (err) {
      // The decision still goes out, without a picture; the line names the event, never the image.
      this.logger.warn({ eventId: message.eventId, err: (err as Error).message }, 'live thumbnail failed');
      return null;
    }
  }
}
