// Replication over the in-memory broker: enrolment reaches a replica as the same person with
// the same faces, embedded with the replica's own model; changes apply once, newest wins, in any
// arrival order; forged, tampered or foreign changes are refused and logged; a deletion erases
// the person's bytes from the replica's files and is confirmed back to the authority; an
// appliance that was away converges; a key rotation re-seals everything.
import { TemplatesRepository } from '../../store/templates-repository.js';
import { FacesRepository } from '../../store/faces-repository.js';
import { existsSync, readFileSync } from 'node:fs';
import { generateKeyPairSync } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AuthoritySigner } from '../../replication/authority-signature.js';
import { frame, unframe } from '../../replication/messages.js';
import { sealChange } from '../../replication/sealing.js';
import { newSiteKeyFile, SiteKeyring } from '../../replication/site-keys.js';
import { QUALITY, randomCropPng, settle, TestSite, type Node } from './helpers.js';

async function enrol(node: Node, name: string, photos = 1): Promise<{ personId: string; crops: Buffer[] }> {
  const person = node.gallery.createPerson(name);
  const crops: Buffer[] = [];
  for (let i = 0; i < photos; i++) {
    const crop = await randomCropPng();
    const face = new FacesRepository(node.db).insert({ personId: person.id, alignedCropPng: crop, sourceSha256: 'a'.repeat(63) + String(i), quality: QUALITY });
    new TemplatesRepository(node.db).upsert({ faceId: face.id, modelId: node.gallery.modelId, embedding: new Float32Array(16).fill(0.25) });
    crops.push(crop);
  }
  return { personId: person.id, crops };
}

function galleryState(node: Node): unknown[] {
  return node.gallery.listPeople({ limit: 1000 }).map((p) => ({
    id: p.id,
    displayName: p.displayName,
    active: p.active,
    faces: node.gallery.facesOf(p.id).map((f) => [f.id, f.cropSha256]),
  }));
}

function bytesOnDisk(node: Node, needle: Buffer): boolean {
  const files = [node.dbPath, `${node.dbPath}-wal`].filter(existsSync).map((f) => readFileSync(f));
  // Any 32-byte window of the crop's compressed pixel data is evidence it survived.
  for (let at = 64; at + 32 <= needle.length; at += 512) {
    if (files.some((f) => f.includes(needle.subarray(at, at + 32)))) return true;
  }
  return false;
}

describe('replication between an authority and replicas', () => {
  let site: TestSite;
  let hq: Node;
  let door1: Node;

  beforeEach(() => {
    site = new TestSite();
    hq = site.node('hq-1', 'model-a@1');
    door1 = site.node('door-1', 'model-b@2');
  });
  afterEach(async () => site.close());

  it('an enrolment on the authority appears on the replica with the same ids, embedded with the replica model', async () => {
    const authority = site.authority(hq, ['door-1']);
    const replica = site.replica(door1, 'hq-1');
    hq.transport.connect();
    door1.transport.connect();
    const ada = await enrol(hq, 'Ada Lovelace', 2);
    await authority.flush();
    await settle(replica);

    expect(galleryState(door1)).toEqual(galleryState(hq));
    expect(door1.gallery.size).toBe(2); // two templates in the matcher, made by model-b@2
    const [face] = door1.gallery.facesOf(ada.personId);
    expect(new TemplatesRepository(door1.db).get(face!.id, 'model-b@2')).not.toBeNull();
    expect(new TemplatesRepository(door1.db).get(face!.id, 'model-a@1')).toBeNull();
    // The replica reported: it is known to the authority with its model and its acknowledgement.
    await authority.flush();
    expect(authority.repository.replicas()).toMatchObject([{ replicaId: 'door-1', modelId: 'model-b@2', people: 1 }]);
    expect(authority.repository.ackOf(ada.personId, 'door-1')).toMatchObject({ revision: expect.any(Number), tombstone: false });
  });

  it('biometric data never crosses the broker in the clear', async () => {
    site.authority(hq);
    hq.transport.connect();
    const ada = await enrol(hq, 'Ada Lovelace Zq7');
    const authority = site.authority(hq);
    await authority.flush();
    const retained = site.broker.retained.get(site.topics.person(ada.personId))!;
    expect(retained).toBeDefined();
    expect(retained.includes(ada.crops[0]!.subarray(100, 132))).toBe(false);
    expect(retained.includes(Buffer.from(ada.crops[0]!.subarray(100, 132).toString('base64').slice(0, 24)))).toBe(false);
    expect(retained.toString()).not.toContain('Ada Lovelace');
    // Nor does the site key reach a log line.
    const key = site.keyFile.keys[0]!.key;
    expect(hq.log.text()).not.toContain(key);
    expect(JSON.stringify(SiteKeyring.fromObject(site.keyFile))).not.toContain(key);
  });

  it('refuses and logs a change signed with another key, a tampered one, and one from another authority', async () => {
    const replica = site.replica(door1, 'hq-1');
    door1.transport.connect();
    const keys = SiteKeyring.fromObject(site.keyFile);
    const forger = AuthoritySigner.fromKey(generateKeyPairSync('ed25519').privateKey);
    const body = { displayName: 'Mallory', externalId: null, active: true, faces: [] };
    const change = { site: 'hq', authorityId: 'hq-1', personId: 'p-forged', revision: 99, kind: 'person' as const };
    const genuine = AuthoritySigner.fromKey(site.keyPair.privateKey);

    const forged = sealChange(keys, forger, change, body);
    const envelope = sealChange(keys, genuine, change, body);
    const { json, tail } = unframe(envelope)!;
    const tampered = frame({ ...(JSON.parse(json.toString()) as object), revision: 100 }, [tail]);
    const foreign = sealChange(keys, genuine, { ...change, authorityId: 'rogue-1' }, body);
    const wrongSiteKey = sealChange(SiteKeyring.fromObject(newSiteKeyFile()), genuine, change, body);

    const topic = site.topics.person('p-forged');
    expect(await replica.apply({ topic, payload: forged })).toBe('refused');
    expect(await replica.apply({ topic, payload: tampered })).toBe('refused');
    expect(await replica.apply({ topic, payload: foreign })).toBe('refused');
    expect(await replica.apply({ topic, payload: wrongSiteKey })).toBe('refused');
    expect(await replica.apply({ topic, payload: Buffer.from('{"v":1}') })).toBe('refused');
    expect(await replica.apply({ topic: site.topics.person('p-other'), payload: envelope })).toBe('refused');

    expect(door1.gallery.countPeople()).toBe(0);
    const refusals = door1.log.lines.filter((l) => l['msg'] === 'replicated change refused').map((l) => l['reason']);
    expect(refusals).toEqual(['bad_signature', 'bad_signature', 'wrong_authority', 'decryption_failed', 'malformed', 'topic_mismatch']);
    expect(door1.log.text()).not.toContain('Mallory');
    // The genuine one is accepted.
    expect(await replica.apply({ topic, payload: envelope })).toBe('applied');
    expect(door1.gallery.person('p-forged')?.displayName).toBe('Mallory');
  });

  it('applies each revision once and never goes back to an older one, whatever the arrival order', async () => {
    const authority = site.authority(hq);
    hq.transport.connect();
    const replica = site.replica(door1, 'hq-1');
    const ada = await enrol(hq, 'Ada');
    await authority.flush();
    const older = site.broker.retained.get(site.topics.person(ada.personId))!;
    hq.gallery.updatePerson(ada.personId, { displayName: 'Ada King' });
    await authority.flush();
    const newer = site.broker.retained.get(site.topics.person(ada.personId))!;

    const topic = site.topics.person(ada.personId);
    expect(await replica.apply({ topic, payload: newer })).toBe('applied');
    expect(await replica.apply({ topic, payload: newer })).toBe('stale');
    expect(await replica.apply({ topic, payload: older })).toBe('stale');
    expect(door1.gallery.person(ada.personId)?.displayName).toBe('Ada King');
    expect(replica.repository.applied(ada.personId)).toMatchObject({ authorityId: 'hq-1', tombstone: false });
  });

  it('a deletion erases the person from every replica file and the authority shows who confirmed and who is pending', async () => {
    const authority = site.authority(hq, ['door-1', 'door-2']);
    const replica = site.replica(door1, 'hq-1');
    hq.transport.connect();
    door1.transport.connect();
    const keeper = await enrol(hq, 'Keeper Qx7');
    const victim = await enrol(hq, 'Erased Zq9', 2);
    await authority.flush();
    await settle(replica);
    expect(bytesOnDisk(door1, victim.crops[0]!)).toBe(true); // the scan can see crops at all

    hq.gallery.deletePerson(victim.personId);
    await authority.flush();
    await settle(replica);
    await authority.flush();

    expect(door1.gallery.person(victim.personId)).toBeNull();
    expect(door1.gallery.size).toBe(1);
    for (const crop of victim.crops) expect(bytesOnDisk(door1, crop)).toBe(false);
    expect(bytesOnDisk(door1, keeper.crops[0]!)).toBe(true);
    // The broker no longer holds the crops: the retained state is now the tombstone.
    expect(site.broker.retained.get(site.topics.person(victim.personId))!.includes(victim.crops[0]!.subarray(100, 132))).toBe(false);

    const [erasure] = authority.repository.erasures();
    expect(erasure).toMatchObject({ personId: victim.personId, pending: ['door-2'], tombstoneCleared: false });
    expect(erasure!.confirmed).toMatchObject([{ replicaId: 'door-1', erased: true }]);

    // door-2 was away the whole time; it starts, converges from the retained state, confirms.
    const door2 = site.node('door-2');
    const replica2 = site.replica(door2, 'hq-1');
    door2.transport.connect();
    await settle(replica2);
    await authority.flush();
    expect(galleryState(door2)).toEqual(galleryState(hq));
    expect(authority.repository.erasures()[0]).toMatchObject({ pending: [], tombstoneCleared: true });
    expect(site.broker.retained.has(site.topics.person(victim.personId))).toBe(false);
  });

  it('a replica that was away while people were enrolled, changed and deleted converges exactly on return', async () => {
    const authority = site.authority(hq, ['door-1']);
    const replica = site.replica(door1, 'hq-1');
    hq.transport.connect();
    door1.transport.connect();
    const early = await enrol(hq, 'Early');
    await authority.flush();
    await settle(replica);
    door1.transport.disconnect();

    const late = await enrol(hq, 'Late');
    const gone = await enrol(hq, 'Gone');
    hq.gallery.setActive(late.personId, false);
    hq.gallery.deletePerson(gone.personId);
    hq.gallery.deletePerson(early.personId);
    await authority.flush();
    expect(galleryState(door1)).not.toEqual(galleryState(hq));

    door1.transport.connect();
    await settle(replica);
    await authority.flush();
    expect(galleryState(door1)).toEqual(galleryState(hq));
    expect(door1.gallery.size).toBe(0); // Late is inactive: stored, not matchable
    expect(authority.repository.erasures().map((e) => e.pending)).toEqual([[], []]);
  });

  it('changes made while the authority was away from the broker are published when it is back', async () => {
    const authority = site.authority(hq);
    const replica = site.replica(door1, 'hq-1');
    door1.transport.connect();
    const ada = await enrol(hq, 'Ada');
    await authority.flush(); // not connected: nothing leaves, nothing is lost
    expect(door1.gallery.countPeople()).toBe(0);
    hq.transport.connect();
    await authority.flush();
    await settle(replica);
    expect(door1.gallery.person(ada.personId)).not.toBeNull();
  });

  it('after a key rotation everything is re-sealed; a replica without the new key refuses and says which version', async () => {
    const authority = site.authority(hq);
    hq.transport.connect();
    await enrol(hq, 'Ada');
    await authority.flush();
    const rotated = newSiteKeyFile(site.keyFile);
    site.keyFile.current = rotated.current;
    site.keyFile.keys = rotated.keys;
    const rotatedAuthority = site.authority(hq);
    expect(rotatedAuthority.republishAll()).toBe(1);
    await rotatedAuthority.flush();
    const [payload] = site.broker.retained.values();
    expect(JSON.parse(unframe(payload!)!.json.toString())).toMatchObject({ keyVersion: 2 });

    const stale = site.replica(door1, 'hq-1', { current: 1, keys: [site.keyFile.keys[0]!] });
    door1.transport.connect();
    await settle(stale);
    expect(door1.gallery.countPeople()).toBe(0);
    expect(door1.log.lines.find((l) => l['msg'] === 'replicated change refused')).toMatchObject({ reason: 'unknown_key_version' });

    const door2 = site.node('door-2');
    const current = site.replica(door2, 'hq-1');
    door2.transport.connect();
    await settle(current);
    expect(door2.gallery.countPeople()).toBe(1);
  });
});
