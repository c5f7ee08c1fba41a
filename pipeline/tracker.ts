// Associates face detections across consecutive frames so that a person walking up to the door
// is decided once per visit (per track), not once per frame.
import { iou } from './geometry.js';
import type { Box } from './types.js';

export interface TrackerOptions {
  /** Minimum IoU between a track's last box and a detection to continue the track. */
  readonly iouThreshold: number;
  /** A track not seen for this long (ms) ends. */
  readonly idleMs: number;
}

export interface TrackState {
  readonly id: string;
  readonly box: Box;
  readonly firstSeenAt: number;
  readonly lastSeenAt: number;
  /** Frames in which the track was seen. */
  readonly frames: number;
}

export interface TrackUpdate {
  /** For each input detection (same order), the track it was assigned to. */
  readonly trackIds: readonly string[];
  /** Tracks that ended in this update (idle too long), with their final state. */
  readonly ended: readonly TrackState[];
}

export class FaceTracker {
  private readonly tracks = new Map<string, TrackState>();
  private nextId = 1;

  constructor(
    private readonly options: TrackerOptions,
    private readonly idPrefix = 't',
  ) {}

  get active(): readonly TrackState[] {
    return [...this.tracks.values()];
  }

  /**
   * Greedy association by descending IoU (good enough at door distances, where faces rarely
   * cross); unmatched detections start new tracks.
   */
  update(boxes: readonly Box[], now: number): TrackUpdate {
    const candidates: Array<{ trackId: string; index: number; overlap: number }> = [];
    for (const track of this.tracks.values()) {
      boxes.forEach((box, index) => {
        const overlap = iou(track.box, box);
        if (overlap >= this.options.iouThreshold) candidates.push({ trackId: track.id, index, overlap });
      });
    }
    candidates.sort((a, b) => b.overlap - a.overlap);

    const trackIds: string[] = new Array<string>(boxes.length);
    const usedTracks = new Set<string>();
    for (const { trackId, index } of candidates) {
      if (usedTracks.has(trackId) || trackIds[index] !== undefined) continue;
      usedTracks.add(trackId);
      trackIds[index] = trackId;
    }
    boxes.forEach((box, index) => {
      const existing = trackIds[index];
      if (existing !== undefined) {
        const track = this.tracks.get(existing)!;
        this.tracks.set(existing, { ...track, box, lastSeenAt: now, frames: track.frames + 1 });
      } else {
        const id = `${this.idPrefix}${this.nextId++}`;
        this.tracks.set(id, { id, box, firstSeenAt: now, lastSeenAt: now, frames: 1 });
        trackIds[index] = id;
      }
    });
    return { trackIds, ended: this.expire(now) };
  }

  /** Ends every track idle for longer than `idleMs`. */
  expire(now: number): TrackState[] {
    const ended: TrackState[] = [];
    for (const track of this.tracks.values()) {
      if (now - track.lastSeenAt > this.options.idleMs) {
        ended.push(track);
        this.tracks.delete(track.id);
      }
    }
    return ended;
  }

  /** Ends every track (source stopped). */
  flush(): TrackState[] {
    const all = [...this.tracks.values()];
    this.tracks.clear();
    return all;
  }
}
