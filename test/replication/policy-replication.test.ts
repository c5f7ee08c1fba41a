// Access-policy replication over the in-memory broker: the site policy document (zones, groups,
// schedules, holidays, settings, door factors) and each person's own part (memberships,
// validity, PIN hash) reach a replica, change its next decision, survive any arrival order and
// a long absence with deletions, and a forged policy is refused.
import { generateKeyPairSync } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SitePolicy } from '../../access/policy/site-policy.js';
import { AuthoritySigner } from '../../replication/authority-signature.js';
import { POLICY_SUBJECT } from '../../replication/messages.js';
import { sealChange } from '../../replication/sealing.js';
import { SiteKeyring } from '../../replication/site-keys.js';
import { PinsRepository } from '../../store/pins-repository.js';
import { PolicyDocumentRepository } from '../../store/policy-document-repository.js';
import { settle, TestSite, type Node } from './helpers.js';

const NOON_MONDAY = Date.UTC(2026, 0, 5, 12, 0);

function person(node: Node, name: string): string {
  return node.gallery.createPerson(name).id;
}

describe('access-policy replication', () => {
  let site: TestSite;
  let hq: Node;
  let door1: Node;
  let hqPolicy: SitePolicy;
  let doorPolicy: SitePolicy;

  beforeEach(() => {
    site = new TestSite();
    hq = site.node('hq-1');
    door1 = site.node('door-1');
    hqPolicy = new SitePolicy(hq.db);
    doorPolicy = new SitePolicy(door1.db);
  });
  afterEach(async () => site.close());

  async function sync(authority: ReturnType<TestSite['authority']>, replica: ReturnType<TestSite['replica']>): Promise<void> {
    await authority.flush();
    await settle(replica);
  }

  it('a policy made on the authority changes the replica decision, and its removal changes it back', async () => {
    const authority = site.authority(hq, ['door-1']);
    const replica = site.replica(door1, 'hq-1');
    hq.transport.connect();
    door1.transport.connect();
    const ada = person(hq, 'Ada');
    await sync(authority, replica);
    expect(doorPolicy.policy.check(ada, 'lobby', NOON_MONDAY)).toBeNull(); // open mode

    const lobby = hqPolicy.zones.create({ name: 'Lobby', doorIds: ['lobby'] });
    const annex = hqPolicy.zones.create({ name: 'Annex', doorIds: ['annex'] });
    const office = hqPolicy.schedules.create({ name: 'Office hours', windows: [{ days: ['mon', 'tue'], start: '08:00', end: '18:00' }], holidayWindows: [] });
    const staff = hqPolicy.groups.create({ name: 'Staff', grants: [{ zoneId: lobby.id, scheduleId: office.id }] });
    hqPolicy.personAccess.replace(ada, [staff.id], { validFrom: null, validUntil: null });
    hqPolicy.settings.update({ ...hqPolicy.settings.get(), mode: 'enforced' });
    await sync(authority, replica);

    expect(doorPolicy.policy.check(ada, 'lobby', NOON_MONDAY)).toBeNull();
    expect(doorPolicy.policy.check(ada, 'annex', NOON_MONDAY)).toBe('door_not_permitted');
    expect(doorPolicy.policy.check(ada, 'lobby', NOON_MONDAY + 8 * 3600_000)).toBe('outside_schedule');
    expect(new PolicyDocumentRepository(door1.db).read()).toEqual(new PolicyDocumentRepository(hq.db).read());
    expect(doorPolicy.personAccess.groupIds(ada)).toEqual([staff.id]);

    // A holiday on that Monday closes the office-hours grant (holidayWindows: []).
    hqPolicy.holidays.put('2026-01-05', 'Closure');
    await sync(authority, replica);
    expect(doorPolicy.policy.check(ada, 'lobby', NOON_MONDAY)).toBe('outside_schedule');

    // Deleting the group on the authority removes it and its memberships on the replica.
    hqPolicy.groups.delete(staff.id);
    hqPolicy.zones.delete(annex.id);
    await sync(authority, replica);
    expect(doorPolicy.groups.list()).toEqual([]);
    expect(doorPolicy.zones.list().map((z) => z.name)).toEqual(['Lobby']);
    expect(doorPolicy.personAccess.groupIds(ada)).toEqual([]);
    expect(doorPolicy.policy.check(ada, 'lobby', NOON_MONDAY)).toBe('door_not_permitted');
    // The replica reports the policy revision it applied.
    await authority.flush();
    expect(authority.repository.replicas()[0]!.policyRevision).toBe(authority.repository.policyRevision());
  });

  it('validity, door factors and the PIN hash replicate; an unchanged hash keeps the local lockout', async () => {
    const authority = site.authority(hq);
    const replica = site.replica(door1, 'hq-1');
    hq.transport.connect();
    door1.transport.connect();
    const ada = person(hq, 'Ada');
    hqPolicy.personAccess.replace(ada, [], { validFrom: null, validUntil: NOON_MONDAY });
    hqPolicy.settings.setDoorFactors('vault', 'face+pin');
    new PinsRepository(hq.db).set(ada, 'scrypt$32768$8$1$c2FsdA==$a2V5');
    await sync(authority, replica);

    expect(doorPolicy.policy.check(ada, 'lobby', NOON_MONDAY)).toBe('expired');
    expect(doorPolicy.policy.check(ada, 'vault', NOON_MONDAY - 1)).toBe('pin_required');
    const pins = new PinsRepository(door1.db);
    expect(pins.get(ada)?.hash).toBe('scrypt$32768$8$1$c2FsdA==$a2V5');

    pins.recordAttempts(ada, 5, NOON_MONDAY); // a guesser locked out at this door
    hq.gallery.updatePerson(ada, { displayName: 'Ada L.' });
    await sync(authority, replica);
    expect(pins.get(ada)).toMatchObject({ failedAttempts: 5, lockedUntil: NOON_MONDAY });

    new PinsRepository(hq.db).clear(ada);
    await sync(authority, replica);
    expect(pins.get(ada)).toBeNull();
    // The PIN hash is a secret: it never crosses the broker in the clear.
    expect([...site.broker.retained.values()].some((m) => m.includes(Buffer.from('c2FsdA==$a2V5')))).toBe(false);
  });

  it('a replica away for a week converges on the retained state, whatever order it arrives in', async () => {
    const authority = site.authority(hq, ['door-1']);
    hq.transport.connect();
    const ada = person(hq, 'Ada');
    const bob = person(hq, 'Bob');
    const old = hqPolicy.groups.create({ name: 'Old', grants: [] });
    hqPolicy.personAccess.replace(bob, [old.id], { validFrom: null, validUntil: null });
    await authority.flush();
    // The replica joins late; meanwhile a group is made, Ada joins it, the old group goes.
    const zone = hqPolicy.zones.create({ name: 'Lobby', doorIds: ['lobby'] });
    const staff = hqPolicy.groups.create({ name: 'Staff', grants: [{ zoneId: zone.id, scheduleId: null }] });
    hqPolicy.personAccess.replace(ada, [staff.id], { validFrom: null, validUntil: null });
    hqPolicy.groups.delete(old.id);
    hqPolicy.settings.update({ ...hqPolicy.settings.get(), mode: 'enforced' });
    await authority.flush();

    // Person snapshots first, the policy last: Ada's group does not exist yet when she arrives.
    const replica = site.replica(door1, 'hq-1');
    const people = [...site.broker.retained].filter(([topic]) => topic !== site.topics.policy);
    for (const [topic, payload] of people) await replica.apply({ topic, payload });
    expect(doorPolicy.personAccess.groupIds(ada)).toEqual([]);
    expect(await replica.apply({ topic: site.topics.policy, payload: site.broker.retained.get(site.topics.policy)! })).toBe('policy');

    expect(doorPolicy.personAccess.groupIds(ada)).toEqual([staff.id]);
    expect(doorPolicy.personAccess.groupIds(bob)).toEqual([]);
    expect(doorPolicy.policy.check(ada, 'lobby', NOON_MONDAY)).toBeNull();
    expect(doorPolicy.policy.check(bob, 'lobby', NOON_MONDAY)).toBe('door_not_permitted');
    expect(new PolicyDocumentRepository(door1.db).read()).toEqual(new PolicyDocumentRepository(hq.db).read());
    // Re-delivered (retained again on reconnect): idempotent.
    door1.transport.connect();
    await settle(replica);
    expect(await replica.apply({ topic: site.topics.policy, payload: site.broker.retained.get(site.topics.policy)! })).toBe('stale');
  });

  it('an older policy document arriving after a newer one changes nothing', async () => {
    const authority = site.authority(hq);
    hq.transport.connect();
    hqPolicy.zones.create({ name: 'First', doorIds: ['a'] });
    await authority.flush();
    const older = site.broker.retained.get(site.topics.policy)!;
    hqPolicy.zones.create({ name: 'Second', doorIds: ['b'] });
    await authority.flush();
    const newer = site.broker.retained.get(site.topics.policy)!;
    const replica = site.replica(door1, 'hq-1');
    expect(await replica.apply({ topic: site.topics.policy, payload: newer })).toBe('policy');
    expect(await replica.apply({ topic: site.topics.policy, payload: older })).toBe('stale');
    expect(doorPolicy.zones.list().map((z) => z.name)).toEqual(['First', 'Second']);
  });

  it('refuses and logs a policy not signed by the authority, and one posing as a person', async () => {
    const replica = site.replica(door1, 'hq-1');
    const keys = SiteKeyring.fromObject(site.keyFile);
    const forger = AuthoritySigner.fromKey(generateKeyPairSync('ed25519').privateKey);
    const current = new PolicyDocumentRepository(hq.db).read();
    const enforced = { ...current, settings: { ...current.settings, mode: 'enforced' as const } };
    const forged = sealChange(keys, forger, { site: 'hq', authorityId: 'hq-1', personId: POLICY_SUBJECT, revision: 99, kind: 'policy' }, enforced);
    expect(await replica.apply({ topic: site.topics.policy, payload: forged })).toBe('refused');
    expect(door1.log.lines.some((l) => l['msg'] === 'replicated change refused' && l['reason'] === 'bad_signature')).toBe(true);

    // A genuine policy document replayed on a person topic is refused: the subject is signed.
    const genuine = sealChange(keys, AuthoritySigner.fromKey(site.keyPair.privateKey), { site: 'hq', authorityId: 'hq-1', personId: POLICY_SUBJECT, revision: 2, kind: 'policy' }, enforced);
    expect(await replica.apply({ topic: site.topics.person('3f0c1d2e'), payload: genuine })).toBe('refused');
    expect(new SitePolicy(door1.db).settings.get().mode).toBe('open');
  });
});
