// The site policy document: read whole, replaced whole (deletions included, failures roll back),
// and the migration-4 triggers that decide what replicates: every policy table bumps the policy
// revision; a person's memberships, validity and new PIN hash bump the person, a failed PIN
// attempt and the cascades of deleting a group or a person do not.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SitePolicy } from '../../access/policy/site-policy.js';
import { openDatabase, type Database } from '../../store/database.js';
import { PeopleRepository } from '../../store/people-repository.js';
import { PinsRepository } from '../../store/pins-repository.js';
import { PolicyDocumentRepository } from '../../store/policy-document-repository.js';
import { ReplicationRepository } from '../../store/replication-repository.js';

describe('PolicyDocumentRepository and the replication triggers', () => {
  let a: Database;
  let b: Database;
  beforeEach(() => {
    a = openDatabase(':memory:');
    b = openDatabase(':memory:');
  });
  afterEach(() => {
    a.close();
    b.close();
  });

  function populate(db: Database): { policy: SitePolicy; groupId: string } {
    const policy = new SitePolicy(db);
    const zone = policy.zones.create({ name: 'Lab', doorIds: ['lab', 'lab-back'] });
    const schedule = policy.schedules.create({ name: 'Nights', windows: [{ days: ['mon'], start: '22:00', end: '06:00' }], holidayWindows: null });
    const group = policy.groups.create({ name: 'Night shift', grants: [{ zoneId: zone.id, scheduleId: schedule.id }] });
    policy.holidays.put('2026-05-01', 'Labour Day');
    policy.settings.setDoorFactors('lab', 'face+pin');
    policy.settings.update({ mode: 'enforced', timeZone: 'Europe/Berlin', pin: { entrySeconds: 20, maxAttempts: 3, lockoutSeconds: 600 } });
    return { policy, groupId: group.id };
  }

  it('a document read from one database and replaced into another reads back the same, and a second replace drops what left', () => {
    const { policy } = populate(a);
    const doc = new PolicyDocumentRepository(a).read();
    expect(doc.zones[0]).toMatchObject({ name: 'Lab', doorIds: ['lab', 'lab-back'] });
    new SitePolicy(b).zones.create({ name: 'Stale local zone', doorIds: ['x'] });
    const target = new PolicyDocumentRepository(b);
    b.transaction(() => target.replace(doc))();
    expect(target.read()).toEqual(doc);

    policy.groups.delete(policy.groups.list()[0]!.id);
    policy.holidays.delete('2026-05-01');
    b.transaction(() => target.replace(new PolicyDocumentRepository(a).read()))();
    expect(target.read().groups).toEqual([]);
    expect(target.read().holidays).toEqual([]);
    expect(target.read().schedules).toHaveLength(1);
  });

  it('an inconsistent document (a grant on a missing schedule) throws and leaves the policy as it was', () => {
    populate(b);
    const before = new PolicyDocumentRepository(b).read();
    const doc = new PolicyDocumentRepository(b).read();
    const broken = { ...doc, schedules: [] };
    expect(() => b.transaction(() => new PolicyDocumentRepository(b).replace(broken))()).toThrow();
    expect(new PolicyDocumentRepository(b).read()).toEqual(before);
  });

  it('policy tables bump the policy revision; person tables bump the person, but not lockouts or cascades', () => {
    const journal = new ReplicationRepository(a);
    const policyRevision = () => journal.policyRevision();
    const personRevision = (id: string) => journal.latest(id)!.revision;
    const start = policyRevision();
    const { policy, groupId } = populate(a);
    expect(policyRevision()).toBeGreaterThan(start);

    const people = new PeopleRepository(a);
    const ada = people.create({ displayName: 'Ada' });
    const bob = people.create({ displayName: 'Bob' });
    let r = personRevision(ada.id);
    policy.personAccess.replace(ada.id, [groupId], { validFrom: null, validUntil: null });
    expect(personRevision(ada.id)).toBeGreaterThan(r);
    r = personRevision(ada.id);
    policy.personAccess.replace(ada.id, [groupId], { validFrom: 0, validUntil: 1000 });
    expect(personRevision(ada.id)).toBeGreaterThan(r);

    const pins = new PinsRepository(a);
    r = personRevision(ada.id);
    pins.set(ada.id, 'scrypt$1$1$1$AA==$AA==');
    expect(personRevision(ada.id)).toBeGreaterThan(r);
    r = personRevision(ada.id);
    pins.recordAttempts(ada.id, 3, 123);
    expect(personRevision(ada.id)).toBe(r);

    // Deleting the group: the policy document changes; Ada's snapshot does not need re-sending.
    const p = policyRevision();
    policy.groups.delete(groupId);
    expect(policyRevision()).toBeGreaterThan(p);
    expect(personRevision(ada.id)).toBe(r);

    // Deleting a person with a PIN and validity leaves a tombstone, not a live revision.
    policy.personAccess.replace(bob.id, [], { validFrom: 0, validUntil: null });
    people.delete(bob.id);
    expect(journal.latest(bob.id)).toMatchObject({ tombstone: true });
  });
});
