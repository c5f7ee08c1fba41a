// The first frames of a video file, decoded by ffmpeg into a private temporary folder as PNGs
// (so no frame size has to be known in advance) and read back. For the offline tools only; the
// appliance's cameras go through pipeline/capture.
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { readImageFile } from '../pipeline/image.js';
import type { RgbImage } from '../pipeline/types.js';

const run = promisify(execFile);

export async function readVideoFrames(path: string, maxFrames: number): Promise<RgbImage[]> {
  await stat(path).catch(() => {
    throw new Error(`Video file not found: ${path}`);
  });
  const dir = await mkdtemp(join(tmpdir(), 'maskgate-frames-'));
  try {
    try {
      await run('ffmpeg', ['-nostdin', '-loglevel', 'error', '-i', path, '-frames:v', String(maxFrames), join(dir, '%04d.png')], {
        timeout: 60_000,
      });
    } catch (err) {
      const raw = (err as { stderr?: unknown }).stderr;
      const stderr = (typeof raw === 'string' ? raw : Buffer.isBuffer(raw) ? raw.toString('utf8') : '').trim().split('\n').pop();
      throw new Error(`ffmpeg could not decode the video${stderr ? `: ${stderr}` : ''}`);
    }
    const files = (await readdir(dir)).filter((f) => f.endsWith('.png')).sort();
    if (files.length === 0) throw new Error('The video has no frames');
    return Promise.all(files.map((f) => readImageFile(join(dir, f))));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
