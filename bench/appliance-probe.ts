// Child-process half of the appliance section: runs one Appliance in a fresh Node process so
// that its start-up and resident memory are the appliance's own, not the benchmark's. Reads a
// job file (argv[2]), prints one JSON line with the measurements on stdout.
import { readFileSync } from 'node:fs';
import pino from 'pino';
import mqtt from 'mqtt';
import { Appliance } from '../daemon/appliance.js';
import type { DecisionMessage } from '../access/decision-message.js';
import { parseConfig } from '../firmware-config/load.js';
import { summarise, type Summary } from './stats.js';

export interface ApplianceProbeJob {
  /** A raw config; parsed with the appliance's own schema. */
  readonly config: unknown;
  /** Unmasked JPEGs to enrol, one person each, once the camera runs. */
  readonly enrolPhotos: readonly string[];
  readonly seconds: number;
}

export interface ApplianceProbeResult {
  /** Process start to the appliance's modules loaded, ms. */
  readonly importMs: number;
  readonly createMs: number;
  readonly startMs: number;
  /** Process start to Appliance.start() resolved, ms. */
  readonly readyMs: number;
  /** Appliance.create() called to the first frame analysed, ms. */
  readonly firstFrameAnalysedMs: number | null;
  readonly rssMiB: { readonly beforeCreate: number; readonly afterStart: number; readonly peak: number };
  readonly runSeconds: number;
  readonly framesReceived: number;
  readonly framesAnalysed: number;
  readonly framesDropped: number;
  readonly decisions: number;
  /** Frame arrival (decision's decidedAt) to the door's MQTT client receiving the decision, ms. */
  readonly endToEnd: Summary;
  readonly galleryTemplates: number;
}

const FIRST_FRAME_TIMEOUT_MS = 30_000;

async function probe(job: ApplianceProbeJob, importMs: number): Promise<ApplianceProbeResult> {
  const logger = pino({ level: 'silent' });
  const config = parseConfig(job.config);
  let peak = 0;
  const rss = (): number => {
    const value = process.memoryUsage().rss / 2 ** 20;
    peak = Math.max(peak, value);
    return value;
  };
  const rssTimer = setInterval(rss, 100);
  const beforeCreate = rss();
  const t0 = performance.now();
  const appliance = await Appliance.create(config, logger);
  const t1 = performance.now();
  let door: mqtt.MqttClient | null = null;
  try {
    await appliance.start();
    const t2 = performance.now();
    const afterStart = rss();
    const camera = appliance.cameras[0]!;
    let firstFrameAnalysedMs: number | null = null;
    while (performance.now() - t0 < FIRST_FRAME_TIMEOUT_MS) {
      if (camera.stats.framesAnalysed > 0) {
        firstFrameAnalysedMs = performance.now() - t0;
        break;
      }
      await new Promise((r) => setTimeout(r, 2));
    }
    for (const [i, file] of job.enrolPhotos.entries()) {
      const person = appliance.gallery.createPerson(`Bench person ${i + 1}`);
      try {
        await appliance.gallery.enrolPhoto(person.id, readFileSync(file));
      } catch {
        appliance.gallery.deletePerson(person.id); // e.g. a photo the quality gate refuses: skip it
      }
    }
    door = mqtt.connect(appliance.brokerUrl!, { protocolVersion: 4, clientId: `maskgate-bench-door-${process.pid}` });
    const latencies: number[] = [];
    let measuring = false;
    door.on('message', (_topic, payload) => {
      const received = Date.now();
      if (!measuring) return;
      latencies.push(received - Date.parse((JSON.parse(payload.toString()) as DecisionMessage).decidedAt));
    });
    await door.subscribeAsync(`${appliance.topics.base}/door/+/decision`, { qos: 1 });

    const start = { ...camera.stats };
    const startedAt = performance.now();
    measuring = true;
    await new Promise((r) => setTimeout(r, job.seconds * 1000));
    measuring = false;
    const end = camera.stats;
    return {
      importMs,
      createMs: t1 - t0,
      startMs: t2 - t1,
      readyMs: t2,
      firstFrameAnalysedMs,
      rssMiB: { beforeCreate, afterStart, peak },
      runSeconds: (performance.now() - startedAt) / 1000,
      framesReceived: end.framesReceived - start.framesReceived,
      framesAnalysed: end.framesAnalysed - start.framesAnalysed,
      framesDropped: end.framesDropped - start.framesDropped,
      decisions: latencies.length,
      endToEnd: summarise(latencies),
      galleryTemplates: appliance.gallery.size,
    };
  } finally {
    clearInterval(rssTimer);
    await door?.endAsync();
    await appliance.stop();
  }
}

// performance.now() counts from process start, so this is the cost of Node plus the imports above.
const importMs = performance.now();
const jobFile = process.argv[2];
if (!jobFile) {
  process.stderr.write('usage: node appliance-probe.js <job.json>\n');
  process.exitCode = 2;
} else {
  const result = await probe(JSON.parse(readFileSync(jobFile, 'utf8')) as ApplianceProbeJob, importMs);
  process.stdout.write(`${JSON.stringify(result)}\n`);
}
