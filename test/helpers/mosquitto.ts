// Starts a real Mosquitto broker on a free loopback port for tests that need one, so that the
// suite does not depend on a broker someone else left running.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, waitForPort } from './net.js';

export const mosquittoAvailable = spawnSync('sh', ['-c', 'command -v mosquitto'], { encoding: 'utf8' }).status === 0;

/** One mosquitto process on a fixed port and config file, which a test can stop and bring back. */
export class MosquittoProcess {
  private child: ChildProcess | null = null;
  protected constructor(
    readonly port: number,
    private readonly configPath: string,
  ) {}

  get url(): string {
    return `mqtt://127.0.0.1:${this.port}`;
  }

  /** (Re)starts the broker process on the same port. */
  async resume(): Promise<void> {
    this.child = spawn('mosquitto', ['-c', this.configPath], { stdio: 'ignore' });
    await waitForPort(this.port, 5000);
  }

  /** Stops the broker with SIGTERM (an outage; a persistent broker saves its sessions); `resume()` brings it back. */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    this.child = null;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
  }
}

export class MosquittoBroker extends MosquittoProcess {
  /** `extraConfig` is appended to the config file (a bridge, for instance). */
  static async start(port?: number, extraConfig = ''): Promise<MosquittoBroker> {
    const chosen = port ?? (await freePort());
    const dir = mkdtempSync(join(tmpdir(), 'mg-mosquitto-'));
    const configPath = join(dir, 'mosquitto.conf');
    writeFileSync(configPath, `listener ${chosen} 127.0.0.1\nallow_anonymous true\npersistence false\n${extraConfig}`);
    const broker = new MosquittoBroker(chosen, configPath);
    await broker.resume();
    return broker;
  }
}
