// Test kit for the MQTT contract tests: a Mosquitto whose config the test chooses (persistence
// for the outage tests, TLS and passwords for the mqtts:// test), a TCP proxy to cut the
// appliance's connection abruptly, synthetic decisions, and schema validation of every payload.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join, resolve } from 'node:path';
import { randomUUID } from 'node:crypto';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import type { MqttClient } from 'mqtt';
import type { DecisionMessage } from '../../../access/decision-message.js';
import { MosquittoProcess } from '../../helpers/mosquitto.js';
import { freePort } from '../../helpers/net.js';

export { mosquittoAvailable } from '../../helpers/mosquitto.js';
export const opensslAvailable = spawnSync('sh', ['-c', 'command -v openssl && command -v mosquitto_passwd'], { encoding: 'utf8' }).status === 0;

export const delay = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export async function waitFor(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await delay(20);
  }
}

export interface TestBrokerOptions {
  /** Keep sessions and queued messages across a restart (saved on SIGTERM), as a site broker would. */
  readonly persistence?: boolean;
  readonly tls?: { readonly caFile: string; readonly certFile: string; readonly keyFile: string };
  /** user → password; anonymous access is refused when set. */
  readonly users?: Readonly<Record<string, string>>;
}

export class TestBroker extends MosquittoProcess {
  private constructor(
    port: number,
    configPath: string,
    private readonly tls: boolean,
  ) {
    super(port, configPath);
  }

  static async start(options: TestBrokerOptions = {}): Promise<TestBroker> {
    const port = await freePort();
    const dir = mkdtempSync(join(tmpdir(), 'mg-broker-'));
    const lines = [
      `listener ${port} 127.0.0.1`,
      `persistence ${options.persistence ? 'true' : 'false'}`,
      // Started as root, mosquitto would switch to its own user and could not read or write the test's files.
      `user ${userInfo().username}`,
    ];
    if (options.persistence) lines.push(`persistence_location ${dir}/`);
    if (options.tls) lines.push(`cafile ${options.tls.caFile}`, `certfile ${options.tls.certFile}`, `keyfile ${options.tls.keyFile}`);
    if (options.users) {
      const passwords = join(dir, 'passwords');
      writeFileSync(passwords, '');
      for (const [user, password] of Object.entries(options.users)) {
        const r = spawnSync('mosquitto_passwd', ['-b', passwords, user, password], { encoding: 'utf8' });
        if (r.status !== 0) throw new Error(`mosquitto_passwd failed: ${r.stderr}`);
      }
      lines.push('allow_anonymous false', `password_file ${passwords}`);
    } else {
      lines.push('allow_anonymous true');
    }
    const configPath = join(dir, 'mosquitto.conf');
    writeFileSync(configPath, `${lines.join('\n')}\n`);
    const broker = new TestBroker(port, configPath, options.tls !== undefined);
    await broker.resume();
    return broker;
  }

  override get url(): string {
    return `${this.tls ? 'mqtts' : 'mqtt'}://127.0.0.1:${this.port}`;
  }
}

/** A self-signed CA and a server certificate for 127.0.0.1, made with openssl. */
export function makeCertificates(): { caFile: string; certFile: string; keyFile: string } {
  const dir = mkdtempSync(join(tmpdir(), 'mg-tls-'));
  const run = (args: string[]) => {
    const r = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`openssl ${args[0]} failed: ${r.stderr}`);
  };
  run(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=maskgate test CA']);
  run(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=127.0.0.1']);
  writeFileSync(join(dir, 'ext.cnf'), 'subjectAltName=IP:127.0.0.1\n');
  run(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.crt', '-days', '2', '-extfile', 'ext.cnf']);
  return { caFile: join(dir, 'ca.crt'), certFile: join(dir, 'server.crt'), keyFile: join(dir, 'server.key') };
}

/**
 * A TCP relay between the appliance and the broker, to break the link the way a network does:
 * `hold()` stops passing the broker's packets back (PUBACKs get lost), `drop()` kills every
 * connection without a DISCONNECT, `cut()` also stops accepting new ones.
 */
export class TcpProxy {
  private readonly sockets = new Set<Socket>();
  private readonly server: Server;
  private held = false;

  private constructor(private readonly targetPort: number) {
    this.server = createServer((client) => {
      const upstream = connect(this.targetPort, '127.0.0.1');
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => undefined);
      }
      client.pipe(upstream);
      upstream.on('data', (chunk: Buffer) => {
        if (!this.held) client.write(chunk);
      });
      upstream.on('close', () => client.destroy());
      client.on('close', () => upstream.destroy());
    });
  }

  static async start(targetPort: number): Promise<TcpProxy> {
    const proxy = new TcpProxy(targetPort);
    await new Promise<void>((r) => proxy.server.listen(0, '127.0.0.1', () => r()));
    return proxy;
  }

  get url(): string {
    return `mqtt://127.0.0.1:${(this.server.address() as { port: number }).port}`;
  }

  hold(): void {
    this.held = true;
  }

  drop(): void {
    this.held = false;
    for (const s of this.sockets) s.destroy();
  }

  cut(): void {
    this.server.close();
    this.drop();
  }
}

export function syntheticDecision(overrides: Partial<DecisionMessage> = {}): DecisionMessage {
  const now = Date.now();
  return {
    schema: 'maskgate.decision/1',
    eventId: randomUUID(),
    applianceId: 'test-appliance',
    cameraId: 'lobby-cam',
    doorId: 'lobby',
    trackId: 'lobby-cam-1',
    outcome: 'grant',
    reason: 'match',
    personId: randomUUID(),
    personName: 'Ada Lovelace',
    score: 0.61,
    threshold: 0.42,
    thresholdCondition: 'single',
    targetFmr: 0.001,
    modelId: 'test-model',
    masked: true,
    pad: { score: 0.02, threshold: 0.5, frames: 3 },
    framesUsed: 3,
    firstSeenAt: new Date(now - 500).toISOString(),
    decidedAt: new Date(now).toISOString(),
    expiresAt: new Date(now + 60_000).toISOString(),
    ...overrides,
  };
}

export interface Received {
  readonly topic: string;
  readonly text: string;
  readonly retain: boolean;
  readonly qos: number;
  /** MQTT 5 only. */
  readonly messageExpiryInterval?: number;
}

/** Records everything a client receives. */
export function record(client: MqttClient): Received[] {
  const received: Received[] = [];
  client.on('message', (topic, payload, packet) =>
    received.push({
      topic,
      text: payload.toString('utf8'),
      retain: packet.retain,
      qos: packet.qos,
      ...(packet.properties?.messageExpiryInterval !== undefined ? { messageExpiryInterval: packet.properties.messageExpiryInterval } : {}),
    }),
  );
  return received;
}

const SCHEMA_DIR = resolve(__dirname, '../../../docs/schemas');

/**
 * Validates a payload received on `<base>/<relative topic>` against the published schema in
 * docs/schemas/ — the files a door developer reads, not the TypeBox objects.
 */
export class ContractValidator {
  private readonly byFile = new Map<string, ValidateFunction>();

  constructor() {
    const ajv = new Ajv({ strict: false, allErrors: true });
    addFormats.default(ajv);
    for (const file of readdirSync(SCHEMA_DIR).filter((f) => f.endsWith('.schema.json'))) {
      this.byFile.set(file, ajv.compile(JSON.parse(readFileSync(join(SCHEMA_DIR, file), 'utf8')) as object));
    }
  }

  /** Throws with the schema errors when the payload breaks the contract; returns the schema file used. */
  check(base: string, message: Received): string {
    const relative = message.topic.slice(base.length + 1);
    let file = schemaFileFor(relative);
    // An unknown request is answered with the error envelope every response schema shares.
    if (!this.byFile.has(file) && relative.startsWith('response/')) file = 'response.status.schema.json';
    const validate = this.byFile.get(file);
    if (!validate) throw new Error(`no published schema ${file} for topic ${message.topic}`);
    const value: unknown = file === 'availability.schema.json' ? message.text : JSON.parse(message.text);
    if (!validate(value)) throw new Error(`${message.topic} breaks ${file}: ${JSON.stringify(validate.errors)}\n${message.text}`);
    return file;
  }
}

function schemaFileFor(relative: string): string {
  if (relative === 'availability') return 'availability.schema.json';
  if (relative === 'expired' || /^door\/[^/]+\/decision$/.test(relative)) return 'decision.schema.json';
  const [kind, name] = relative.split('/');
  return `${kind}.${name}.schema.json`;
}
