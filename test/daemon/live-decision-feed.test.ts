// The Live stream over the decision sink: a decision with a face crop gets a JPEG thumbnail, one
// without gets none; events keep the order of the decisions although encoding is asynchronous;
// the feed listens to the sink only while a stream is open; a crop that cannot be encoded still
// lets its decision through, and the warning names the event, not the image.
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import type { DecisionMessage } from '../../access/decision-message.js';
import type { DecisionObserver } from '../../access/decision-sink.js';
import { LiveDecisionFeed } from '../../daemon/live-decision-feed.js';
import type { LiveDecisionMessage } from '../../enroll/console/ports.js';
import type { RgbImage } from '../../pipeline/types.js';
import { capturingLogger } from '../enroll/helpers.js';
import { syntheticDecision } from './mqtt/mqtt-test-kit.js';

class FakeSink {
  readonly observers = new Set<DecisionObserver>();
  onDecision(observer: DecisionObserver): () => void {
    this.observers.add(observer);
    return () => this.observers.delete(observer);
  }
  emit(message: DecisionMessage, face: RgbImage | null): void {
    for (const o of this.observers) o(message, face);
  }
}

const crop = (side: number): RgbImage => ({ width: side, height: side, data: new Uint8Array(side * side * 3).map((_, i) => (i * 37) % 256) });

describe('LiveDecisionFeed', () => {
  it('adds a 96x96 JPEG to decisions with a face, none to the others, in decision order', async () => {
    const sink = new FakeSink();
    const feed = new LiveDecisionFeed(sink, capturingLogger([]));
    const got: LiveDecisionMessage[] = [];
    const stop = feed.subscribe((m) => got.push(m));
    const first = syntheticDecision({ eventId: 'e1' });
    const second = syntheticDecision({ eventId: 'e2' });
    const third = syntheticDecision({ eventId: 'e3' });
    sink.emit(first, crop(112));
    sink.emit(second, null);
    sink.emit(third, crop(112));
    await expect.poll(() => got.length).toBe(3);
    expect(got.map((m) => m.eventId)).toEqual(['e1', 'e2', 'e3']);
    expect(got[1]).toEqual(second);
    const jpeg = Buffer.from(got[0]!.thumbnail!.replace(/^data:image\/jpeg;base64,/, ''), 'base64');
    expect(await sharp(jpeg).metadata()).toMatchObject({ format: 'jpeg', width: 96, height: 96 });
    expect(got[2]).toMatchObject({ ...third, thumbnail: expect.stringMatching(/^data:image\/jpeg;base64,/) });
    stop();
  });

  it('listens to the sink only while a stream is open', () => {
    const sink = new FakeSink();
    const feed = new LiveDecisionFeed(sink, capturingLogger([]));
    expect(sink.observers.size).toBe(0);
    const stopA = feed.subscribe(() => undefined);
    const stopB = feed.subscribe(() => undefined);
    expect(sink.observers.size).toBe(1);
    stopA();
    expect(sink.observers.size).toBe(1);
    stopB();
    expect(sink.observers.size).toBe(0);
  });

  it('sends the decision without a picture when the crop cannot be encoded, and keeps going', async () => {
    const sink = new FakeSink();
    const lines: string[] = [];
    const feed = new LiveDecisionFeed(sink, capturingLogger(lines));
    const got: LiveDecisionMessage[] = [];
    feed.subscribe((m) => got.push(m));
    const broken: RgbImage = { width: 112, height: 112, data: new Uint8Array(10) };
    sink.emit(syntheticDecision({ eventId: 'bad' }), broken);
    sink.emit(syntheticDecision({ eventId: 'good' }), crop(112));
    await expect.poll(() => got.length).toBe(2);
    expect(got[0]).not.toHaveProperty('thumbnail');
    expect(got[1]!.thumbnail).toMatch(/^data:image\/jpeg/);
    expect(lines.some((l) => l.includes('live thumbnail failed') && l.includes('"eventId":"bad"'))).toBe(true);
  });
});
