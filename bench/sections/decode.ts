// Capture decode: the scene encoded as H.264, played through the appliance's own capture
// source (FfmpegFrameSource: ffmpeg decode, scale, RGB24 over a pipe, frame assembly) as fast
// as it goes. The gap between consecutive frames is the per-frame cost of that path.
import { join } from 'node:path';
import { FfmpegFrameSource } from '../../pipeline/capture/index.js';
import type { RgbImage } from '../../pipeline/types.js';
import { encodeClip } from '../clip.js';
import type { BenchContext } from '../context.js';
import { summarise, type Summary } from '../stats.js';

const CLIP_FPS = 30;

export async function measureDecode(ctx: BenchContext, frames: readonly RgbImage[], label: string): Promise<Summary> {
  const path = join(ctx.workDir, `decode-${label}.mp4`);
  const loops = Math.max(1, Math.ceil(ctx.plan.decodeFrames / frames.length));
  await encodeClip(path, Array.from({ length: loops }, () => frames).flat().slice(0, ctx.plan.decodeFrames), CLIP_FPS);
  const first = frames[0]!;
  const source = new FfmpegFrameSource(
    {
      id: `bench-decode-${label}`,
      url: path,
      width: first.width,
      height: first.height,
      fps: CLIP_FPS,
      realtime: false,
      onEnd: 'stop',
      reconnect: { initialDelayMs: 100, maxDelayMs: 100, multiplier: 1 },
      stallTimeoutMs: 10_000,
    },
    { logger: ctx.logger },
  );
  const gaps: number[] = [];
  let last: number | null = null;
  const done = new Promise<void>((resolve, reject) => {
    source.on('frame', () => {
      const now = performance.now();
      if (last !== null) gaps.push(now - last); // the first frame also carries ffmpeg's start-up
      last = now;
    });
    source.on('state', (change) => {
      if (change.state !== 'stopped') return;
      if (change.cause && change.cause.code !== 'source_ended') reject(change.cause);
      else resolve();
    });
  });
  source.start();
  try {
    await done;
  } finally {
    await source.stop();
  }
  if (gaps.length === 0) throw new Error(`capture of ${path} delivered no frames`);
  return summarise(gaps);
}
