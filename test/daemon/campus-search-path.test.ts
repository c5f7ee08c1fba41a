// A campus-sized gallery in the decision path of a real Appliance, on its default search
// settings: 12,000 enrolled templates of other people (random directions, as near-orthogonal to a
// real face as strangers are) and one person enrolled from a photo, who then walks past the door
// masked on a clip. The decisions go through the int8 coded scan with its helper threads (the
// default: each on a CPU of its own where there are two), are proven exact (no float32 fallback), grant the right person, and a stranger
// walking past another door (unmasked: at this size the synthetic mask hides their face from
// the detector) is refused.
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DecisionMessage } from '../../access/decision-message.js';
import { ASYNC_SEARCH_MIN_TEMPLATES } from '../../access/gallery.js';
import { Appliance } from '../../daemon/appliance.js';
import { configFromObject } from '../../firmware-config/load.js';
import { readImageFile } from '../../pipeline/image.js';
import { allowedCpus } from '../../pipeline/thread-affinity.js';
import { FacesRepository } from '../../store/faces-repository.js';
import { PeopleRepository } from '../../store/people-repository.js';
import { TemplatesRepository } from '../../store/templates-repository.js';
import { seededRandom } from '../../synthetic/seeded-random.js';
import { writeClip } from '../../synthetic/door-clip.js';
import { cropAround } from '../enroll/helpers.js';
import { waitFor } from './mqtt/mqtt-test-kit.js';

const ASSETS = join(resolve(__dirname, '../..'), 'demo-assets');
const STRANGER_TEMPLATES = 12_000;

/** Stores `count` templates of other people (two faces each) straight into the appliance's database. */
function enrolStrangers(appliance: Appliance, count: number): void {
  const { db, analyzer } = appliance.core;
  const people = new PeopleRepository(db);
  const faces = new FacesRepository(db);
  const templates = new TemplatesRepository(db);
  const random = seededRandom(29);
  const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  const quality = { ok: true, reasons: [], interEyeDistancePx: 40, sharpness: 100, yawDeg: 0, rollDeg: 0 };
  db.transaction(() => {
    for (let i = 0; i < count / 2; i++) {
      const person = people.create({ displayName: `Stranger ${i}` });
      for (let f = 0; f < 2; f++) {
        const crop = Buffer.concat([png, randomBytes(64)]);
        const face = faces.insert({ personId: person.id, alignedCropPng: crop, sourceSha256: createHash('sha256').update(crop).digest('hex'), quality });
        const embedding = Float32Array.from({ length: analyzer.dimension }, () => random() - 0.5);
        templates.upsert({ faceId: face.id, modelId: analyzer.modelId, embedding });
      }
    }
  })();
}

describe('a campus-sized gallery in the decision path', () => {
  let dataDir: string;
  let appliance: Appliance;
  let personId: string;
  const messages: DecisionMessage[] = [];
  const logLines: Record<string, unknown>[] = [];
  const at = (doorId: string) => messages.filter((m) => m.doorId === doorId && m.reason !== 'no_usable_face');

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'mg-campus-search-'));
    const enrolledClip = join(dataDir, 'enrolled.mp4');
    const strangerClip = join(dataDir, 'stranger.mp4');
    appliance = await Appliance.create(
      configFromObject({
        dataDir,
        logLevel: 'error',
        mqtt: { embeddedPort: 0, topicPrefix: 'campus-search' },
        api: { enabled: false },
        metrics: { enabled: false },
        doors: [{ id: 'lobby' }, { id: 'yard' }],
        cameras: [
          { id: 'cam-lobby', url: enrolledClip, doorId: 'lobby', fps: 10, loop: false, realtime: true },
          { id: 'cam-yard', url: strangerClip, doorId: 'yard', fps: 10, loop: false, realtime: true },
        ],
        // A moving still photo is what a held print looks like to PAD (docs/pad.md, "Limits");
        // this test is about the search, so PAD is off.
        pad: { enabled: false },
      }),
      pino({ level: 'info' }, { write: (line: string) => void logLines.push(JSON.parse(line) as Record<string, unknown>) }),
    );
    const largestFace = async (file: string) => {
      const photo = await readImageFile(join(ASSETS, file));
      const faces = await appliance.core.analyzer.analyze(photo, { padded: true });
      return { photo, face: faces.filter((f) => f.embedding).reduce((a, b) => (b.detection.box.width > a.detection.box.width ? b : a)) };
    };
    const enrolled = await largestFace('sample1.jpg');
    const stranger = await largestFace('sample2.jpg');
    personId = appliance.gallery.createPerson('Campus Visitor').id;
    await appliance.gallery.enrolPhoto(personId, await cropAround(enrolled.photo, enrolled.face.detection.box));
    enrolStrangers(appliance, STRANGER_TEMPLATES);
    appliance.gallery.reload();
    expect(appliance.gallery.size).toBeGreaterThanOrEqual(ASYNC_SEARCH_MIN_TEMPLATES);
    await writeClip(enrolledClip, [{ photo: enrolled.photo, detection: enrolled.face.detection, masked: true }]);
    await writeClip(strangerClip, [{ photo: stranger.photo, detection: stranger.face.detection, masked: false }]);

    await appliance.start();
    appliance.sink.onDecision((m) => messages.push(m));
    await waitFor(() => appliance.cameras.every((c) => c.captureState === 'stopped'), 'both clips to play out', 90_000);
    await waitFor(() => at('lobby').length > 0 && at('yard').length > 0, 'decisions at both doors');
  }, 180_000);

  afterAll(async () => {
    await appliance?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('grants the enrolled person among 12,000 other templates, and refuses the stranger', () => {
    for (const m of at('lobby')) expect(m).toMatchObject({ outcome: 'grant', reason: 'match', personId });
    for (const m of at('yard')) expect(m).toMatchObject({ outcome: 'deny', reason: 'no_match', personId: null });
  });

  it('started the coded scan on two helpers pinned to CPUs of their own where the machine has two', () => {
    const started = logLines.find((line) => line.msg === 'coded scan threads started');
    const cpus = allowedCpus();
    if (cpus !== null && cpus.length >= 2) {
      expect(started).toMatchObject({ helpers: 2, eventLoopScans: false, helperCpus: cpus.slice(-2), notPinned: null });
    } else {
      expect(started).toMatchObject({ helpers: 1, eventLoopScans: true, helperCpus: null });
    }
  });

  it('answered every decision from the int8 codes with a proof, never the synchronous or float32 scan', () => {
    const searches = appliance.gallery.decisionSearches;
    expect(searches.coded).toBe(at('lobby').length + at('yard').length);
    expect(searches).toMatchObject({ scan: 0, float32: 0, index: 0 });
  });
});
