// The appliance itself, as `maskgate run` builds it: Appliance.create + start with the embedded
// broker, one camera playing a looping H.264 clip in real time, the scene's people enrolled
// unmasked, and a "door" MQTT client subscribed to the decisions. It runs in a child process
// (appliance-probe.ts) so that start-up and RSS are the appliance's own. End to end: a decision's
// decidedAt is the arrival time of the frame that completed it, so door receipt minus decidedAt
// covers analysis, tracking, the audit log, the outbox and MQTT delivery.
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RgbImage } from '../../pipeline/types.js';
import type { ApplianceProbeJob, ApplianceProbeResult } from '../appliance-probe.js';
import { encodeClip } from '../clip.js';
import type { BenchContext } from '../context.js';
import type { ApplianceResult } from '../report.js';
import { background, faceCrop, FIVE_FACE_CROP, fiveFaceFrames, ONE_FACE_CROP, oneFaceFrames } from '../scenes.js';
import { enrolmentPhoto } from '../../synthetic/enrolment-photo.js';

export const CAMERA_FPS = 30;
/** Short visits with empty frames between them: every visit is a new track and a new decision. */
const FRAMES_PER_VISIT = 8;
const GAP_FRAMES = 8;

export async function visitClipFrames(ctx: BenchContext, facesPerFrame: 1 | 5): Promise<RgbImage[]> {
  const { faces } = await ctx.scenes();
  const empty = background();
  const gap = Array.from({ length: GAP_FRAMES }, () => empty);
  const { size, boxScale, masked } = facesPerFrame === 1 ? ONE_FACE_CROP : FIVE_FACE_CROP;
  const crops = await Promise.all(faces.map((f, i) => faceCrop(f, size, masked ? (i % 2 ? '#f2f2f2' : '#9cc7e0') : null, boxScale)));
  const visits = facesPerFrame === 1 ? crops.length : Math.max(2, Math.ceil(crops.length / 5));
  const frames: RgbImage[] = [];
  for (let v = 0; v < visits; v++) {
    const visit =
      facesPerFrame === 1
        ? oneFaceFrames([crops[v]!], FRAMES_PER_VISIT, empty)
        : fiveFaceFrames([...crops.slice(v * 5), ...crops.slice(0, v * 5)], FRAMES_PER_VISIT, empty);
    frames.push(...gap, ...visit);
  }
  return frames;
}

function runProbe(jobFile: string): Promise<ApplianceProbeResult> {
  const script = fileURLToPath(new URL('./appliance-probe.js', new URL('..', import.meta.url)));
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, jobFile], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.once('error', reject);
    child.once('close', (code) => {
      const line = stdout.trim().split('\n').pop() ?? '';
      if (code === 0 && line.startsWith('{')) resolve(JSON.parse(line) as ApplianceProbeResult);
      else reject(new Error(`appliance probe exited with ${code}: ${stderr.trim().split('\n').slice(-3).join(' ')}`));
    });
  });
}

export async function measureAppliance(ctx: BenchContext, facesPerFrame: 1 | 5): Promise<ApplianceResult> {
  const dir = join(ctx.workDir, `appliance-${facesPerFrame}`);
  mkdirSync(dir, { recursive: true });
  const clip = join(dir, 'door.mp4');
  await encodeClip(clip, await visitClipFrames(ctx, facesPerFrame), CAMERA_FPS);
  const { faces } = await ctx.scenes();
  const enrolPhotos = await Promise.all(
    faces.map(async (face, i) => {
      const file = join(dir, `enrol-${i}.jpg`);
      writeFileSync(file, await enrolmentPhoto(face.photo, face.detection));
      return file;
    }),
  );
  const job: ApplianceProbeJob = {
    config: {
      dataDir: join(dir, 'data'),
      logLevel: 'error',
      model: {
        detector: ctx.plan.detectorPath,
        embedder: ctx.plan.embedders[0]!.path,
        executionProviders: ctx.plan.executionProviders,
        intraOpThreads: 1,
        allowSpinning: false,
      },
      matching: { trackIdleMs: 200 },
      mqtt: { embeddedPort: 0 },
      api: { enabled: false },
      metrics: { enabled: false },
      cameras: [{ id: 'bench-cam', url: clip, doorId: 'bench-door', fps: CAMERA_FPS, loop: true, realtime: true }],
    },
    enrolPhotos,
    seconds: ctx.plan.applianceSeconds,
  };
  const jobFile = join(dir, 'job.json');
  writeFileSync(jobFile, JSON.stringify(job));
  const r = await runProbe(jobFile);
  return { facesPerFrame, cameraFps: CAMERA_FPS, analysedFps: r.framesAnalysed / r.runSeconds, ...r };
}
