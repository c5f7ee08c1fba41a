// Encodes benchmark frames to an H.264 MP4 with ffmpeg, with the same settings as the demo's
// clip (synthetic/door-clip.ts), so that capture is measured on a realistic compressed stream.
import { spawn } from 'node:child_process';
import type { RgbImage } from '../pipeline/types.js';

export async function encodeClip(path: string, frames: Iterable<RgbImage>, fps: number, ffmpegPath = 'ffmpeg'): Promise<void> {
  const list = [...frames];
  const first = list[0];
  if (!first) throw new RangeError('encodeClip: no frames');
  const ffmpeg = spawn(
    ffmpegPath,
    ['-hide_banner', '-loglevel', 'error', '-y', '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-s', `${first.width}x${first.height}`,
      '-r', String(fps), '-i', '-', '-c:v', 'libx264', '-preset', 'veryfast', '-crf', '18', '-pix_fmt', 'yuv420p', path],
    { stdio: ['pipe', 'ignore', 'pipe'] },
  );
  let stderr = '';
  ffmpeg.stdin.on('error', () => undefined); // a dying ffmpeg closes the pipe; its exit code says why
  ffmpeg.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve, reject) => {
    ffmpeg.once('error', reject);
    ffmpeg.once('close', resolve);
  });
  for (const frame of list) {
    if (frame.width !== first.width || frame.height !== first.height) throw new RangeError('encodeClip: frames differ in size');
    if (!ffmpeg.stdin.write(frame.data)) await new Promise((r) => ffmpeg.stdin.once('drain', r));
  }
  ffmpeg.stdin.end();
  const code = await exited;
  if (code !== 0) throw new Error(`ffmpeg could not encode ${path}: ${stderr.trim().split('\n').slice(-3).join(' ')}`);
}
