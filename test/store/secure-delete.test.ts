// Right-to-erasure on disk: after PeopleRepository.delete the biometric bytes (embedding and
// aligned crop) must not be anywhere in the database file or its WAL, not merely unreachable
// through SQL. The second test shows that this depends on secure_delete, i.e. that the first
// test could fail.
import { existsSync, readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { encodeEmbedding } from '../../store/embedding-blob.js';
import { openDatabase, truncateWal, type Database } from '../../store/database.js';
import { FacesRepository } from '../../store/faces-repository.js';
import { PeopleRepository } from '../../store/people-repository.js';
import { TemplatesRepository } from '../../store/templates-repository.js';
import { fakePng, GOOD_QUALITY, makeTempDir, randomEmbedding, sha256, type TempDir } from './helpers.js';

const WINDOW = 16;

/** Every 16-byte window of `needle` at a 16-byte stride; any one found means the data survived. */
function windows(needle: Buffer): Buffer[] {
  const result: Buffer[] = [];
  for (let at = 0; at + WINDOW <= needle.length; at += WINDOW) result.push(needle.subarray(at, at + WINDOW));
  return result;
}

function survivingWindows(files: string[], needle: Buffer): number {
  const haystacks = files.filter((file) => existsSync(file)).map((file) => readFileSync(file));
  return windows(needle).filter((window) => haystacks.some((haystack) => haystack.includes(window))).length;
}

interface Enrolled {
  personId: string;
  crop: Buffer;
  embeddingBytes: Buffer;
  name: Buffer;
}

describe('deleting a person scrubs their biometric data from disk', () => {
  let dir: TempDir;
  let db: Database;
  let people: PeopleRepository;
  let files: string[];

  function enrol(name: string): Enrolled {
    const faces = new FacesRepository(db);
    const templates = new TemplatesRepository(db);
    const person = people.create({ displayName: name });
    // 30 KB crop spans several overflow pages; the 512-D embedding (2 KiB) sits in a leaf page.
    const crop = fakePng(30_000);
    const embedding = randomEmbedding(512);
    const face = faces.insert({ personId: person.id, alignedCropPng: crop, sourceSha256: sha256(crop), quality: GOOD_QUALITY });
    templates.upsert({ faceId: face.id, modelId: 'fr_feature@1', embedding });
    return { personId: person.id, crop, embeddingBytes: encodeEmbedding(embedding), name: Buffer.from(name) };
  }

  beforeEach(() => {
    dir = makeTempDir();
    const path = dir.file('gate.db');
    files = [path, `${path}-wal`];
    db = openDatabase(path);
    people = new PeopleRepository(db);
  });
  afterEach(() => {
    db.close();
    dir.remove();
  });

  it('leaves no embedding, crop or name bytes in the .db or -wal file', () => {
    const keeper = enrol('Keeper Person Qx7');
    const victim = enrol('Erased Person Zq9');
    // Sanity: before deletion the patterns are on disk, so the scan can detect them.
    expect(survivingWindows(files, victim.embeddingBytes)).toBeGreaterThan(0);
    expect(survivingWindows(files, victim.crop)).toBeGreaterThan(0);

    const report = people.delete(victim.personId);
    expect(report).toMatchObject({ found: true, facesDeleted: 1, templatesDeleted: 1, walTruncated: true });

    expect(survivingWindows(files, victim.embeddingBytes)).toBe(0);
    expect(survivingWindows(files, victim.crop)).toBe(0);
    expect(survivingWindows(files, victim.name)).toBe(0);
    // The other person is untouched and still on disk (a few crop windows straddle the 4-byte
    // page-chain pointer at the start of each overflow page, so not every window is contiguous).
    expect(survivingWindows(files, keeper.embeddingBytes)).toBe(windows(keeper.embeddingBytes).length);
    expect(survivingWindows(files, keeper.crop)).toBeGreaterThan(0.95 * windows(keeper.crop).length);
    expect(new PeopleRepository(db).get(keeper.personId)).not.toBeNull();
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
  });

  it('without secure_delete the same deletion leaves the bytes behind (the mechanism the store relies on)', () => {
    enrol('Keeper Person Qx7');
    const victim = enrol('Erased Person Zq9');
    db.pragma('secure_delete = OFF');

    const report = people.delete(victim.personId);
    expect(report.walTruncated).toBe(true);

    expect(survivingWindows(files, victim.embeddingBytes)).toBeGreaterThan(0);
    expect(survivingWindows(files, victim.crop)).toBeGreaterThan(0);
  });

  it('with secure_delete but no WAL checkpoint, old page copies still hold the bytes (why delete truncates the WAL)', () => {
    enrol('Keeper Person Qx7');
    const victim = enrol('Erased Person Zq9');
    // The same cascade delete, bypassing the repository's checkpoint.
    db.prepare('DELETE FROM people WHERE id = ?').run(victim.personId);

    expect(survivingWindows([`${files[0]}-wal`], victim.embeddingBytes)).toBeGreaterThan(0);
    expect(survivingWindows([`${files[0]}-wal`], victim.crop)).toBeGreaterThan(0);
  });

  it('inside a caller\'s transaction the WAL is truncated by the caller after commit', () => {
    enrol('Keeper Person Qx7');
    const victim = enrol('Erased Person Zq9');
    const report = db.transaction(() => people.delete(victim.personId))();
    expect(report).toMatchObject({ found: true, walTruncated: false });
    expect(truncateWal(db)).toBe(true);
    expect(survivingWindows(files, victim.embeddingBytes)).toBe(0);
    expect(survivingWindows(files, victim.crop)).toBe(0);
  });
});
