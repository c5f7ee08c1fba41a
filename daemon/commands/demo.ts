// `maskgate demo`: the appliance on embedded defaults with nothing to set up. It enrols faces
// from the bundled sample photos, renders a door-camera clip of those people (some masked) and
// of strangers, runs the full pipeline on it and prints each verdict as it arrives over MQTT.
import { rmSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import mqtt from 'mqtt';
import type { Writable } from 'node:stream';
import { configFromObject } from '../../firmware-config/load.js';
import { PACKAGE_ROOT } from '../../firmware-config/package-root.js';
import type { Config } from '../../firmware-config/schema.js';
import type { FaceDetection, RgbImage } from '../../pipeline/types.js';
import { readImageFile } from '../../pipeline/image.js';
import { Appliance, DATABASE_FILE } from '../appliance.js';
import { writeClip, type Visit } from '../../synthetic/door-clip.js';
import type { DecisionMessage } from '../../access/decision-message.js';
import { createLogger } from '../logger.js';
import type { Command } from './command.js';
import { parseOptions } from './shared.js';
import { untilStopped } from './run.js';
import { enrolmentPhoto } from '../../synthetic/enrolment-photo.js';

const ASSETS = join(PACKAGE_ROOT, 'demo-assets');
const SAMPLE_PHOTOS = ['sample1.jpg', 'sample2.jpg', 'sample3.jpg', 'sample4.jpg', 'sample5.jpg', 'sample6.jpg'];
const ENROLLED = 4;
const STRANGERS = 2;
const MASK_COLOURS = ['#9cc7e0', '#f2f2f2', '#2b2b2b', '#6f8fb3'];

interface DemoFace {
  readonly label: string;
  readonly photo: RgbImage;
  readonly detection: FaceDetection;
}

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolvePort) => {
    const server = createServer();
    server.once('error', () => resolvePort(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolvePort(true)));
  });
}

export function demoConfig(dataDir: string, port: number, clip: string): Config {
  return configFromObject({
    dataDir,
    logLevel: 'warn',
    mqtt: { embeddedPort: port },
    api: { enabled: false },
    // Any free port: a start-up is all or nothing, and a demo must not fail on a busy 9464.
    metrics: { port: 0 },
    cameras: [{ id: 'demo-cam', url: clip, doorId: 'front-door', fps: 10, loop: true, realtime: true }],
  });
}

async function findFaces(appliance: Appliance): Promise<DemoFace[]> {
  const faces: DemoFace[] = [];
  for (const name of SAMPLE_PHOTOS) {
    const photo = await readImageFile(join(ASSETS, name));
    const analysed = await appliance.core.analyzer.analyze(photo, { padded: true, profile: 'photo' });
    analysed
      .filter((f) => f.embedding !== null && f.detection.box.width >= 60)
      .forEach((f, i) => faces.push({ label: `${name.replace('.jpg', '')} face ${i + 1}`, photo, detection: f.detection }));
  }
  return faces;
}

function printVerdict(out: Writable, message: DecisionMessage): void {
  const time = message.decidedAt.slice(11, 19);
  const who = message.personName ?? (message.outcome === 'unknown' ? 'no usable face' : 'stranger');
  const score = message.score === null ? '  -  ' : message.score.toFixed(3);
  out.write(`${time}  ${message.doorId}  ${message.outcome.toUpperCase().padEnd(7)} ${who.padEnd(34)} score ${score}  threshold ${message.threshold.toFixed(3)}\n`);
}

export const demoCommand: Command = {
  name: 'demo',
  summary: 'Run the appliance on embedded defaults with a generated clip of bundled sample faces',
  usage: 'maskgate demo [--data-dir <dir>] [--port <mqtt port>] [--once]',
  async run(args, io) {
    const { values } = parseOptions(args, { 'data-dir': { type: 'string' }, port: { type: 'string' }, once: { type: 'boolean' } });
    const dataDir = resolve(values['data-dir'] ?? join(PACKAGE_ROOT, 'var', 'demo'));
    mkdirSync(dataDir, { recursive: true });
    for (const suffix of ['', '-wal', '-shm']) rmSync(join(dataDir, DATABASE_FILE + suffix), { force: true });
    const clip = join(dataDir, 'clip.mp4');
    // A fresh Debian install of mosquitto runs a broker on 1883 already: then the demo's embedded
    // broker takes any free port instead of failing (an explicit --port is taken as given).
    const port = values.port !== undefined ? Number(values.port) : (await portIsFree(1883)) ? 1883 : 0;
    const config = demoConfig(dataDir, port, clip);
    const logger = createLogger(config.logLevel);
    const out = io.stdout;

    out.write('maskgate demo: loading models…\n');
    const appliance = await Appliance.create(config, logger);
    const faces = await findFaces(appliance);
    const enrolled: DemoFace[] = [];
    for (const face of faces) {
      if (enrolled.length === ENROLLED) break;
      const person = appliance.gallery.createPerson(`Demo ${enrolled.length + 1} (${face.label})`);
      try {
        await appliance.gallery.enrolPhoto(person.id, await enrolmentPhoto(face.photo, face.detection));
        enrolled.push(face);
        out.write(`enrolled  ${person.displayName}\n`);
      } catch (err) {
        appliance.gallery.deletePerson(person.id);
        out.write(`skipped   ${face.label}: ${(err as Error).message}\n`);
      }
    }
    const strangers = faces.filter((f) => !enrolled.includes(f)).slice(-STRANGERS);
    const visits: Visit[] = [
      ...enrolled.map((f, i) => ({ photo: f.photo, detection: f.detection, masked: true, maskColour: MASK_COLOURS[i % MASK_COLOURS.length]! })),
      ...strangers.map((f) => ({ photo: f.photo, detection: f.detection, masked: true })),
      ...enrolled.slice(0, 2).map((f) => ({ photo: f.photo, detection: f.detection, masked: false })),
    ];
    out.write(`rendering the door-camera clip (${visits.length} visits)…\n`);
    await writeClip(clip, visits);
    out.write(
      `clip: ${enrolled.length} enrolled people masked, ${strangers.length} masked strangers, then 2 enrolled people unmasked` +
        `${values.once ? '' : ' (looping)'}\n`,
    );

    await appliance.start();
    const door = mqtt.connect(appliance.brokerUrl!, { protocolVersion: 4, clientId: `maskgate-demo-door-${process.pid}` });
    let received = 0;
    const allReceived = new Promise<void>((resolveAll) => {
      door.on('message', (_topic, payload) => {
        printVerdict(out, JSON.parse(payload.toString()) as DecisionMessage);
        if (++received >= visits.length) resolveAll();
      });
    });
    await door.subscribeAsync(`${appliance.topics.base}/door/+/decision`, { qos: 1 });
    out.write(`broker ${appliance.brokerUrl}  topic ${appliance.topics.base}/door/+/decision\nverdicts (Ctrl-C to stop):\n`);

    if (values.once) {
      // One pass of the clip: every visit's verdict received by the "door", then a clean stop.
      const deadline = new Promise<void>((r) => setTimeout(r, (visits.length * 4 + 15) * 1000).unref());
      await Promise.race([allReceived, deadline]);
      await door.endAsync();
      await appliance.stop();
      out.write(`${received} verdicts received for ${visits.length} visits\n`);
      return received >= visits.length ? 0 : 1;
    }
    await untilStopped(appliance, () => undefined);
    await door.endAsync();
    return 0;
  },
};
