// An in-memory MQTT stand-in with the semantics replication relies on (retained messages
// replayed on subscribe, an empty retained payload clearing the topic, QoS 1 messages queued
// for a subscriber that is away), and a site of appliances over it with fake models. The real
// broker path (Mosquitto, bridges, persistent sessions) is test/replication/campus.e2e.test.ts.
import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino, type Logger } from 'pino';
import { Gallery } from '../../access/gallery.js';
import type { FaceAnalyzer } from '../../pipeline/face-analyzer.js';
import type { Embedder } from '../../pipeline/embedder.js';
import { encodePng } from '../../pipeline/image.js';
import { openDatabase, type Database } from '../../store/database.js';
import { ReplicationAuthority } from '../../replication/authority.js';
import { AuthoritySigner, AuthorityVerifier } from '../../replication/authority-signature.js';
import { ReplicationReplica } from '../../replication/replica.js';
import { newSiteKeyFile, SiteKeyring, type SiteKeyFile } from '../../replication/site-keys.js';
import { ReplicationTopics } from '../../replication/topics.js';
import type { ReplicationMessage, ReplicationTransport } from '../../replication/transport.js';

function matches(filter: string, topic: string): boolean {
  const f = filter.split('/');
  const t = topic.split('/');
  return f.length === t.length && f.every((part, i) => part === '+' || part === t[i]);
}

export class MemoryBroker {
  readonly retained = new Map<string, Buffer>();
  readonly clients = new Set<MemoryTransport>();
  bytesPublished = 0;

  route(topic: string, payload: Buffer, retain: boolean): void {
    this.bytesPublished += payload.length;
    if (retain) {
      if (payload.length === 0) this.retained.delete(topic);
      else this.retained.set(topic, payload);
    }
    for (const client of this.clients) client.deliver(topic, payload);
  }
}

export class MemoryTransport implements ReplicationTransport {
  connected = false;
  private readonly filters = new Set<string>();
  private readonly queue: ReplicationMessage[] = [];
  private readonly messageListeners = new Set<(m: ReplicationMessage) => void>();
  private readonly connectedListeners = new Set<() => void>();

  constructor(private readonly broker: MemoryBroker) {
    broker.clients.add(this);
  }

  subscribe(filter: string): void {
    this.filters.add(filter);
  }

  async publish(topic: string, payload: Buffer, options: { retain: boolean }): Promise<void> {
    if (!this.connected) throw new Error('not connected');
    await Promise.resolve();
    this.broker.route(topic, payload, options.retain);
  }

  onMessage(listener: (m: ReplicationMessage) => void): () => void {
    this.messageListeners.add(listener);
    return () => this.messageListeners.delete(listener);
  }

  onConnected(listener: () => void): () => void {
    this.connectedListeners.add(listener);
    return () => this.connectedListeners.delete(listener);
  }

  /** A persistent session: while away, matching messages wait here. */
  deliver(topic: string, payload: Buffer): void {
    if (![...this.filters].some((f) => matches(f, topic))) return;
    if (this.connected) this.emit({ topic, payload });
    else this.queue.push({ topic, payload });
  }

  /** Connects: the queued messages, then the retained ones (as a broker does on resubscribe). */
  connect(): void {
    this.connected = true;
    for (const m of this.queue.splice(0)) this.emit(m);
    for (const [topic, payload] of this.broker.retained) if ([...this.filters].some((f) => matches(f, topic))) this.emit({ topic, payload });
    for (const listener of this.connectedListeners) listener();
  }

  disconnect(): void {
    this.connected = false;
  }

  private emit(m: ReplicationMessage): void {
    for (const listener of this.messageListeners) listener(m);
  }
}

/** A stand-in model: a deterministic unit vector from the crop's pixels, tagged with a model id. */
export function fakeEmbedder(modelId: string, dimension = 16): Embedder {
  return {
    modelId,
    dimension,
    embed: async (faces) =>
      faces.map((face) => {
        const digest = createHash('sha512').update(modelId).update(face.data).digest();
        const v = Float32Array.from({ length: dimension }, (_, i) => digest[i % digest.length]! - 128);
        const norm = Math.hypot(...v);
        return v.map((x) => x / norm);
      }),
    close: async () => undefined,
  };
}

export async function randomCropPng(): Promise<Buffer> {
  return encodePng({ width: 112, height: 112, data: randomBytes(112 * 112 * 3) });
}

export const QUALITY = { ok: true, reasons: [], interEyeDistancePx: 40, sharpness: 100, yawDeg: 0, rollDeg: 0 };

/** Captures log lines as objects; nothing is printed. */
export function captureLogger(): { logger: Logger; lines: Record<string, unknown>[]; text: () => string } {
  const lines: Record<string, unknown>[] = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) });
  return { logger, lines, text: () => lines.map((l) => JSON.stringify(l)).join('\n') };
}

export interface Node {
  readonly id: string;
  readonly db: Database;
  readonly dbPath: string;
  readonly gallery: Gallery;
  readonly transport: MemoryTransport;
  readonly log: ReturnType<typeof captureLogger>;
}

export class TestSite {
  readonly dir = mkdtempSync(join(tmpdir(), 'mg-replication-'));
  readonly broker = new MemoryBroker();
  readonly keyFile: SiteKeyFile = newSiteKeyFile();
  readonly keyPair = generateKeyPairSync('ed25519');
  readonly topics = new ReplicationTopics('maskgate', 'hq');
  private readonly closers: (() => Promise<void> | void)[] = [];

  node(id: string, modelId = 'model-a@1'): Node {
    const dbPath = join(this.dir, `${id}.db`);
    const db = openDatabase(dbPath);
    const log = captureLogger();
    const analyzer = { modelId, dimension: 16 } as unknown as FaceAnalyzer;
    const gallery = new Gallery(db, analyzer, () => 0.99, log.logger);
    const transport = new MemoryTransport(this.broker);
    this.closers.push(() => {
      db.close();
    });
    return { id, db, dbPath, gallery, transport, log };
  }

  authority(node: Node, expectedReplicas: string[] = []): ReplicationAuthority {
    const authority = new ReplicationAuthority({
      site: 'hq',
      authorityId: node.id,
      keys: SiteKeyring.fromObject(this.keyFile),
      signer: AuthoritySigner.fromKey(this.keyPair.privateKey),
      transport: node.transport,
      topics: this.topics,
      db: node.db,
      logger: node.log.logger,
      expectedReplicas,
      pollMs: 60_000,
    });
    authority.start();
    this.closers.unshift(() => authority.stop());
    return authority;
  }

  replica(node: Node, authorityId: string, keys: SiteKeyFile = this.keyFile): ReplicationReplica {
    const replica = new ReplicationReplica({
      site: 'hq',
      authorityId,
      replicaId: node.id,
      keys: SiteKeyring.fromObject(keys),
      verifier: AuthorityVerifier.fromKey(this.keyPair.publicKey),
      transport: node.transport,
      topics: this.topics,
      db: node.db,
      gallery: node.gallery,
      embedder: fakeEmbedder(node.gallery.modelId),
      logger: node.log.logger,
    });
    replica.start();
    this.closers.unshift(() => replica.stop());
    return replica;
  }

  async close(): Promise<void> {
    for (const close of this.closers) await close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Lets queued promise chains (publishes, applies, reports) run to completion. */
export async function settle(...replicas: ReplicationReplica[]): Promise<void> {
  for (let i = 0; i < 10; i++) {
    await new Promise((r) => setImmediate(r));
    for (const replica of replicas) await replica.idle();
  }
}
