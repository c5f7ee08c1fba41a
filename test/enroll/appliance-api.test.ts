// The API inside a started Appliance: one process, one Gallery. A person enrolled over HTTP is
// recognised by the camera loop on the next pass of a looping door clip (the grant shows in
// GET /decisions), and after DELETE the camera loop stops granting them at once.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Appliance } from '../../daemon/appliance.js';
import { writeClip } from '../../synthetic/door-clip.js';
import { ApiKeysRepository } from '../../store/api-keys-repository.js';
import { capturingLogger, testConfig, walkingPerson } from './helpers.js';

const ffmpeg = spawnSync('sh', ['-c', 'command -v ffmpeg'], { encoding: 'utf8' }).status === 0;

interface DecisionView {
  id: string;
  decidedAt: number;
  outcome: string;
  personId: string | null;
}

async function until<T>(what: string, probe: () => Promise<T | null>, timeoutMs = 45_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== null) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe.skipIf(!ffmpeg)('enrolment API in a running appliance', () => {
  let dataDir: string;
  let appliance: Appliance;
  let api: string;
  let headers: Record<string, string>;
  let enrolPhoto: Buffer;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'mg-appliance-api-'));
    const clip = join(dataDir, 'door.mp4');
    const config = testConfig(dataDir, {
      mqtt: { embeddedPort: 0 },
      api: { port: 0 },
      metrics: { enabled: false },
      cameras: [{ id: 'door-cam', url: clip, doorId: 'front', fps: 10, loop: true, realtime: true }],
    });
    appliance = await Appliance.create(config, pino({ level: 'silent' }));

    // The person walks past the camera (a different photo from the enrolment one), over and over.
    const person = await walkingPerson(appliance.core);
    enrolPhoto = person.enrolPhoto;
    const walking = person.walking;
    const [walkingFace] = await appliance.core.analyzer.analyze(walking, { padded: true });
    await writeClip(clip, [{ photo: walking, detection: walkingFace!.detection, masked: false }]);

    headers = { authorization: `Bearer ${new ApiKeysRepository(appliance.core.db).create({ name: 'test', role: 'admin' }).secret}` };
    await appliance.start();
    api = appliance.apiUrl!;
  }, 90_000);

  afterAll(async () => {
    await appliance?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const decisions = async (query: string): Promise<DecisionView[]> => {
    const response = await fetch(`${api}/decisions?${query}`, { headers });
    expect(response.status).toBe(200);
    return ((await response.json()) as { items: DecisionView[] }).items;
  };

  it('serves the API on the configured address', async () => {
    expect(api).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    // Ready once the camera delivers frames (503 degraded while it is still starting).
    const ready = await until('the camera running', async () => {
      const res = await fetch(`${api}/readyz`);
      return res.status === 200 ? res.json() : null;
    });
    expect(ready).toMatchObject({ status: 'ready', galleryTemplates: 0 });
  });

  it('enrols over HTTP, the camera loop grants the person, and after DELETE it no longer does', async () => {
    const person = (await (
      await fetch(`${api}/people`, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify({ displayName: 'Walking Person' }) })
    ).json()) as { id: string };
    const upload = await fetch(`${api}/people/${person.id}/faces`, { method: 'POST', headers: { ...headers, 'content-type': 'image/jpeg' }, body: new Uint8Array(enrolPhoto) });
    expect(upload.status).toBe(201);

    const grant = await until('a grant for the enrolled person', async () => (await decisions(`personId=${person.id}&outcome=grant`))[0] ?? null);
    expect(grant).toMatchObject({ outcome: 'grant', personId: person.id });

    const deleted = await fetch(`${api}/people/${person.id}`, { method: 'DELETE', headers });
    expect(deleted.status).toBe(200);
    const deletedAt = Date.now();
    // Wait for two more decisions on the door (the next passes of the clip), then check that
    // none of them granted the forgotten person.
    const later = await until('two decisions after the delete', async () => {
      const recent = (await decisions(`doorId=front&from=${deletedAt}`)).filter((d) => d.decidedAt >= deletedAt);
      return recent.length >= 2 ? recent : null;
    });
    expect(later.map((d) => d.outcome)).not.toContain('grant');
    expect(later.map((d) => d.personId)).not.toContain(person.id);
  }, 120_000);
});

describe('the API in the appliance lifecycle', () => {
  it('closes with the appliance, and a busy port fails the whole start-up (all or nothing)', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'mg-appliance-port-'));
    const squatter = createServer();
    await new Promise<void>((resolve) => squatter.listen(0, '127.0.0.1', resolve));
    const busyPort = (squatter.address() as AddressInfo).port;
    try {
      const lines: string[] = [];
      const blocked = await Appliance.create(
        testConfig(dataDir, { mqtt: { embeddedPort: 0 }, api: { port: busyPort }, metrics: { enabled: false } }),
        capturingLogger(lines),
      );
      await expect(blocked.start()).rejects.toMatchObject({ code: 'EADDRINUSE' });
      expect(blocked.apiUrl).toBeNull();
      expect(blocked.brokerState).toBe('closed'); // what had started was stopped again
      expect(lines.some((l) => l.includes('appliance stopped'))).toBe(true);
      await blocked.stop(); // idempotent

      const running = await Appliance.create(
        testConfig(dataDir, { mqtt: { embeddedPort: 0 }, api: { port: 0 }, metrics: { enabled: false } }),
        pino({ level: 'silent' }),
      );
      await running.start();
      const url = running.apiUrl!;
      expect((await fetch(`${url}/healthz`)).status).toBe(200);
      expect(running.reembedJob?.progress).toMatchObject({ total: 0, failed: 0 });
      await running.stop();
      await expect(fetch(`${url}/healthz`)).rejects.toThrow();
    } finally {
      squatter.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
