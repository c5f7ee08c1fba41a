import { describe, expect, it } from 'vitest';
import { iou } from '../../pipeline/geometry.js';
import { FaceTracker } from '../../pipeline/tracker.js';

const box = (x: number, y: number, size = 100) => ({ x, y, width: size, height: size });

describe('iou', () => {
  it('is 1 for identical boxes, 0 for disjoint ones and exact for a half overlap', () => {
    expect(iou(box(0, 0), box(0, 0))).toBe(1);
    expect(iou(box(0, 0), box(200, 0))).toBe(0);
    // 50x100 overlap: 5000 / (10000 + 10000 - 5000)
    expect(iou(box(0, 0), box(50, 0))).toBeCloseTo(1 / 3, 10);
  });
});

describe('FaceTracker', () => {
  it('keeps one track for a face that moves a little between frames', () => {
    const tracker = new FaceTracker({ iouThreshold: 0.2, idleMs: 1000 });
    const first = tracker.update([box(100, 100)], 0);
    const second = tracker.update([box(110, 105)], 100);
    expect(second.trackIds[0]).toBe(first.trackIds[0]);
    expect(tracker.active[0]?.frames).toBe(2);
  });

  it('gives two faces two tracks and keeps them apart when they swap order in the detections', () => {
    const tracker = new FaceTracker({ iouThreshold: 0.2, idleMs: 1000 });
    const a = tracker.update([box(0, 0), box(300, 0)], 0).trackIds;
    const b = tracker.update([box(305, 2), box(4, 1)], 100).trackIds;
    expect(b[0]).toBe(a[1]);
    expect(b[1]).toBe(a[0]);
  });

  it('starts a new track for a face far from any track and ends idle tracks', () => {
    const tracker = new FaceTracker({ iouThreshold: 0.2, idleMs: 500 });
    const [first] = tracker.update([box(0, 0)], 0).trackIds;
    const update = tracker.update([box(400, 300)], 600);
    expect(update.trackIds[0]).not.toBe(first);
    expect(update.ended.map((t) => t.id)).toEqual([first]);
    expect(tracker.flush().map((t) => t.id)).toEqual([update.trackIds[0]]);
    expect(tracker.active).toHaveLength(0);
  });
});
