// Replication benchmark (docs/campus.md): an authority publishes N people (one real aligned
// 112x112 crop each) to R replicas over a real Mosquitto with MQTT 5 persistent sessions, then
// one replica is away while every person changes and 1% are deleted (the broker queues its
// changes, as over a week-long outage), and comes back. Reports time to converge, bytes on the
// wire per person, broker memory, and what each replica pays to embed the crops with its model.
//
//   node dist/bench/replication.js [--people 10000] [--replicas 3] [--json out.json]
//
// The replicas here embed with a stand-in (the embedding cost is measured separately, with the
// shipped model, and reported per crop), so the convergence times are those of the replication
// path itself: broker, sealing, signatures, SQLite.
import { FacesRepository } from '../store/faces-repository.js';
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { Gallery } from '../access/gallery.js';
import { Core } from '../daemon/appliance.js';
import { ReplicationLink } from '../daemon/mqtt/replication-link.js';
import { configFromObject } from '../firmware-config/load.js';
import { PACKAGE_ROOT } from '../firmware-config/package-root.js';
import type { Embedder } from '../pipeline/embedder.js';
import type { FaceAnalyzer } from '../pipeline/face-analyzer.js';
import { decodeImage, encodePng, readImageFile } from '../pipeline/image.js';
import { ReplicationAuthority } from '../replication/authority.js';
import { AuthoritySigner, AuthorityVerifier } from '../replication/authority-signature.js';
import { ReplicationReplica } from '../replication/replica.js';
import { newSiteKeyFile, SiteKeyring } from '../replication/site-keys.js';
import { ReplicationTopics } from '../replication/topics.js';
import { openDatabase, type Database } from '../store/database.js';
import { generateKeyPairSync } from 'node:crypto';
import { summarise } from './stats.js';

const silent = pino({ level: 'silent' });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

class Broker {
  private constructor(
    readonly child: ChildProcess,
    readonly url: string,
  ) {}

  static async start(dir: string): Promise<Broker> {
    const port = await freePort();
    const config = join(dir, 'mosquitto.conf');
    // No cap on queued messages: the outage phase measures the queue, not its overflow.
    writeFileSync(config, `listener ${port} 127.0.0.1\nallow_anonymous true\npersistence false\nmax_queued_messages 0\nmax_inflight_messages 100\n`);
    const child = spawn('mosquitto', ['-c', config], { stdio: 'ignore' });
    await sleep(500);
    return new Broker(child, `mqtt://127.0.0.1:${port}`);
  }

  /** Resident memory of the broker process, MiB (Linux). */
  rssMiB(): number {
    const status = readFileSync(`/proc/${this.child.pid}/status`, 'utf8');
    return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN) / 1024;
  }

  stop(): void {
    this.child.kill('SIGTERM');
  }
}

/** Real aligned crops from photos (LFW when present, else the bundled demo photos), and the model's cost per crop. */
async function cropsAndEmbedCost(dir: string, count: number): Promise<{ crops: Buffer[]; embedMs: number; modelId: string }> {
  const core = await Core.open(configFromObject({ dataDir: join(dir, 'models-core') }), silent);
  try {
    const lfw = join(PACKAGE_ROOT, '../shared/datasets/lfw-dev');
    const photos = existsSync(lfw)
      ? readdirSync(lfw).slice(0, count * 2).map((who) => join(lfw, who, readdirSync(join(lfw, who))[0]!))
      : readdirSync(join(PACKAGE_ROOT, 'demo-assets')).filter((f) => /\.(jpe?g|png)$/i.test(f)).map((f) => join(PACKAGE_ROOT, 'demo-assets', f));
    const crops: Buffer[] = [];
    for (const path of photos) {
      if (crops.length >= count) break;
      const [face] = await core.analyzer.analyze(await readImageFile(path), { padded: true });
      if (face) crops.push(await encodePng(face.aligned));
    }
    const samples: number[] = [];
    for (let i = 0; i < 60; i++) {
      const start = performance.now();
      await core.embedder.embed([await decodeImage(crops[i % crops.length]!)]);
      samples.push(performance.now() - start);
    }
    return { crops, embedMs: summarise(samples.slice(10)).median, modelId: core.embedder.modelId };
  } finally {
    await core.close();
  }
}

function standInEmbedder(modelId: string): Embedder {
  return {
    modelId,
    dimension: 8,
    embed: async (faces) => faces.map((f) => Float32Array.from({ length: 8 }, (_, i) => (f.data[i * 97]! - 128) / 128 + 0.01)),
    close: async () => undefined,
  };
}

interface Appliance {
  readonly id: string;
  readonly db: Database;
  readonly gallery: Gallery;
  readonly link: ReplicationLink;
}

function appliance(dir: string, id: string, url: string, sessionExpirySeconds: number): Appliance {
  const db = openDatabase(join(dir, `${id}.db`));
  const gallery = new Gallery(db, { modelId: 'stand-in@1', dimension: 8 } as unknown as FaceAnalyzer, () => 1, silent);
  const link = new ReplicationLink({ url, clientId: `bench-${id}`, keepaliveSeconds: 30, reconnectPeriodMs: 200, sessionExpirySeconds }, silent);
  return { id, db, gallery, link };
}

async function waitUntil(test: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!test()) {
    if (Date.now() > deadline) throw new Error('did not converge in time');
    await sleep(1000);
  }
}

/** Cheap fingerprint of a revision table (count and revision sum): polled while replicas catch up. */
function revisionsOf(db: Database, table: 'replication_outgoing' | 'replication_applied'): string {
  const row = db.prepare<[], { n: number; r: number | null }>(`SELECT COUNT(*) AS n, SUM(revision) AS r FROM ${table}`).get()!;
  return `${row.n}:${row.r ?? 0}`;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { people: { type: 'string', default: '10000' }, replicas: { type: 'string', default: '3' }, json: { type: 'string' } } });
  const people = Number(values.people);
  const replicaCount = Number(values.replicas);
  const dir = mkdtempSync(join(tmpdir(), 'mg-bench-replication-'));
  const broker = await Broker.start(dir);
  try {
    const { crops, embedMs, modelId } = await cropsAndEmbedCost(dir, 20);
    const keys = SiteKeyring.fromObject(newSiteKeyFile());
    const pair = generateKeyPairSync('ed25519');
    const topics = new ReplicationTopics('maskgate', 'bench');
    const common = { site: 'bench', keys, topics, logger: silent };

    const hq = appliance(dir, 'hq', broker.url, 14 * 24 * 3600);
    const insert = hq.db.transaction(() => {
      for (let i = 0; i < people; i++) {
        const person = hq.gallery.createPerson(`Person ${i}`);
        const crop = crops[i % crops.length]!;
        new FacesRepository(hq.db).insert({ personId: person.id, alignedCropPng: crop, sourceSha256: createHash('sha256').update(`${i}`).digest('hex'), quality: { ok: true, reasons: [] } as never });
      }
    });
    insert();
    let wireBytes = 0;
    const authorityLink = hq.link;
    const countingLink = Object.assign(Object.create(authorityLink) as ReplicationLink, {
      publish: (topic: string, payload: Buffer, options: { retain: boolean }) => {
        wireBytes += payload.length + Buffer.byteLength(topic);
        return authorityLink.publish(topic, payload, options);
      },
    });
    const authority = new ReplicationAuthority({
      ...common, authorityId: 'hq', signer: AuthoritySigner.fromKey(pair.privateKey), transport: countingLink, db: hq.db,
      expectedReplicas: [], pollMs: 500,
    });
    const replicas = Array.from({ length: replicaCount }, (_, i) => {
      const node = appliance(dir, `door-${i + 1}`, broker.url, 14 * 24 * 3600);
      const replica = new ReplicationReplica({
        ...common, authorityId: 'hq', replicaId: node.id, verifier: AuthorityVerifier.fromKey(pair.publicKey), transport: node.link,
        db: node.db, gallery: node.gallery, embedder: standInEmbedder('stand-in@1'),
      });
      replica.start();
      node.link.start();
      return { node, replica };
    });
    await waitUntil(() => replicas.every((r) => r.node.link.connected), 10_000);
    const rssBefore = broker.rssMiB();

    // Phase 1: everyone, to every replica.
    let start = performance.now();
    authority.start();
    authorityLink.start();
    const converged = () => {
      const want = revisionsOf(hq.db, 'replication_outgoing');
      return replicas.every((r) => revisionsOf(r.node.db, 'replication_applied') === want);
    };
    await waitUntil(converged, 30 * 60_000);
    const fullSyncS = (performance.now() - start) / 1000;
    const rssAfterSync = broker.rssMiB();
    const bytesPerPerson = wireBytes / people;
    const cropBytes = crops.reduce((s, c) => s + c.length, 0) / crops.length;

    // Phase 2: the last replica is away (its session kept) while everyone changes and 1% are deleted.
    const away = replicas[replicas.length - 1]!;
    await away.node.link.stop();
    const deleted = Math.max(1, Math.floor(people / 100));
    const ids = hq.gallery.listPeople({ limit: 1000 }).map((p) => p.id);
    hq.db.transaction(() => {
      for (let offset = 0; offset < people; offset += 1000) {
        for (const p of hq.gallery.listPeople({ limit: 1000, offset })) hq.gallery.updatePerson(p.id, { displayName: `${p.displayName} (moved)` });
      }
    })();
    for (const id of ids.slice(0, deleted)) hq.gallery.deletePerson(id);
    wireBytes = 0;
    start = performance.now();
    const present = replicas.slice(0, -1);
    await waitUntil(() => {
      const want = revisionsOf(hq.db, 'replication_outgoing');
      return present.every((r) => revisionsOf(r.node.db, 'replication_applied') === want);
    }, 30 * 60_000);
    const changeSyncS = (performance.now() - start) / 1000;
    const changeBytesPerPerson = wireBytes / people;
    const rssWithQueue = broker.rssMiB();
    start = performance.now();
    away.node.link.start();
    await waitUntil(converged, 30 * 60_000);
    const outageCatchUpS = (performance.now() - start) / 1000;
    const awayPeople = away.node.gallery.countPeople();

    const result = {
      people, replicas: replicaCount, cropBytesMean: Math.round(cropBytes),
      fullSync: { seconds: fullSyncS, peoplePerSecond: people / fullSyncS, wireBytesPerPerson: Math.round(bytesPerPerson) },
      changeAll: { seconds: changeSyncS, wireBytesPerPerson: Math.round(changeBytesPerPerson), deleted },
      outage: { catchUpSeconds: outageCatchUpS, peopleAfter: awayPeople, expected: people - deleted },
      brokerRssMiB: { idle: rssBefore, afterFullSync: rssAfterSync, withQueuedOutage: rssWithQueue },
      embedding: { modelId, msPerCropMedian: embedMs, cpuSecondsPerReplicaForAllPeople: (embedMs * people) / 1000 },
    };
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    if (values.json) writeFileSync(values.json, JSON.stringify(result, null, 2));
    await authority.stop();
    await authorityLink.stop();
    for (const r of replicas) {
      await r.replica.stop();
      await r.node.link.stop();
      r.node.db.close();
    }
    hq.db.close();
  } finally {
    broker.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`bench replication: ${(err as Error).message}\n`);
    process.exit(1);
  },
);
