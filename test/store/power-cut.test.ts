// A process killed with SIGKILL in the middle of a stream of write transactions must leave a
// file that opens, passes integrity_check, holds only whole batches and keeps every batch it
// reported as committed. (SIGKILL loses the process but not the OS page cache; the guarantee
// for a real power cut comes from SQLite's WAL design with synchronous=NORMAL: consistency
// always, durability of the last few commits not.)
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../store/database.js';
import { makeTempDir, type TempDir } from './helpers.js';

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BATCH = 25;

/**
 * The child runs the real store code; Node 20 cannot run .ts, so transpile store/ and the room
 * below it (pipeline/, e.g. the CodedError base) into the temp dir.
 */
function buildStoreForChild(dir: TempDir): void {
  for (const room of ['store', 'pipeline']) {
    const out = join(dir.path, room);
    mkdirSync(out);
    for (const name of readdirSync(join(REPO_ROOT, room)).filter((file) => file.endsWith('.ts'))) {
      const source = readFileSync(join(REPO_ROOT, room, name), 'utf8');
      const { outputText } = ts.transpileModule(source, {
        compilerOptions: { module: ts.ModuleKind.ES2022, target: ts.ScriptTarget.ES2022 },
        fileName: name,
      });
      writeFileSync(join(out, name.replace(/\.ts$/, '.js')), outputText);
    }
  }
  writeFileSync(join(dir.path, 'package.json'), JSON.stringify({ type: 'module' }));
  symlinkSync(join(REPO_ROOT, 'node_modules'), join(dir.path, 'node_modules'), 'dir');
}

const CHILD_SCRIPT = `
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { openDatabase } from './store/database.js';
import { PeopleRepository } from './store/people-repository.js';
import { FacesRepository } from './store/faces-repository.js';
import { TemplatesRepository } from './store/templates-repository.js';
import { DecisionsRepository } from './store/decisions-repository.js';
import { OutboxRepository } from './store/outbox-repository.js';

const db = openDatabase(process.argv[2]);
const people = new PeopleRepository(db);
const faces = new FacesRepository(db);
const templates = new TemplatesRepository(db);
const decisions = new DecisionsRepository(db);
const outbox = new OutboxRepository(db, { maxRows: 100000 });
const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const quality = { ok: true, reasons: [], interEyeDistancePx: 40, sharpness: 100, yawDeg: 0, rollDeg: 0 };

const batch = db.transaction(() => {
  for (let i = 0; i < ${BATCH}; i++) {
    const person = people.create({ displayName: 'p' + i });
    const crop = Buffer.concat([png, randomBytes(8000)]);
    const face = faces.insert({ personId: person.id, alignedCropPng: crop,
      sourceSha256: createHash('sha256').update(crop).digest('hex'), quality });
    const embedding = new Float32Array(512).map(() => Math.random() - 0.5);
    templates.upsert({ faceId: face.id, modelId: 'm', embedding });
    const id = randomUUID();
    decisions.insert({ id, decidedAt: Date.now(), cameraId: 'c', doorId: 'd', trackId: null, outcome: 'grant',
      personId: person.id, score: 0.9, threshold: 0.5, modelId: 'm', masked: true, expiresAt: null, payload: {} });
    outbox.enqueue({ topic: 'maskgate/x/decision', payload: JSON.stringify({ id }), qos: 1, retain: false, expiresAt: null });
  }
});

let committed = 0;
for (;;) {
  batch();
  committed++;
  process.stdout.write('committed ' + committed + '\\n');
}
`;

interface KillOutcome {
  signal: NodeJS.Signals | null;
  lastCommitted: number;
}

function runAndKill(dir: TempDir, dbPath: string, afterFirstCommitMs: number): Promise<KillOutcome> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [join(dir.path, 'child.mjs'), dbPath], { stdio: ['ignore', 'pipe', 'pipe'] });
    let lastCommitted = 0;
    let stderr = '';
    let timer: NodeJS.Timeout | undefined;
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      const counts = [...chunk.matchAll(/committed (\d+)/g)].map((m) => Number(m[1]));
      if (counts.length > 0) lastCommitted = Math.max(lastCommitted, ...counts);
      timer ??= setTimeout(() => child.kill('SIGKILL'), afterFirstCommitMs);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('error', reject);
    // 'close', not 'exit': it fires only after stdout is drained, so lastCommitted is complete.
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      if (signal === null) reject(new Error(`child exited by itself (code ${code}): ${stderr}`));
      else resolvePromise({ signal, lastCommitted });
    });
  });
}

describe('power-cut safety', () => {
  let dir: TempDir;
  beforeAll(() => {
    dir = makeTempDir('maskgate-powercut-');
    buildStoreForChild(dir);
    writeFileSync(join(dir.path, 'child.mjs'), CHILD_SCRIPT);
  });
  afterAll(() => dir.remove());

  it('a writer killed with SIGKILL mid-batch leaves a consistent database with every reported batch', async () => {
    const dbPath = join(dir.path, 'killed.db');
    const { signal, lastCommitted } = await runAndKill(dir, dbPath, 300);
    expect(signal).toBe('SIGKILL');
    expect(lastCommitted).toBeGreaterThan(0);

    const db = openDatabase(dbPath);
    try {
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
      expect(db.pragma('foreign_key_check')).toEqual([]);
      const count = (table: string): number => db.prepare<[], number>(`SELECT COUNT(*) FROM ${table}`).pluck().get() ?? 0;
      const people = count('people');
      // Whole batches only: a half-written batch would leave a count that is not a multiple of BATCH,
      // or people without their face/template/decision/outbox row.
      expect(people % BATCH).toBe(0);
      for (const table of ['faces', 'templates', 'decisions', 'outbox']) expect(count(table)).toBe(people);
      // Every batch the child saw commit survived (it may have committed one more before dying).
      expect(people).toBeGreaterThanOrEqual(lastCommitted * BATCH);
      expect(people).toBeLessThanOrEqual((lastCommitted + 1) * BATCH);
    } finally {
      db.close();
    }
  });
});
