// `node dist/bench/policy-check.js`: what the access-policy step costs per decision, on a
// site-sized policy (1000 people, 20 zones, 10 groups, enforced, Europe/Berlin) in an
// in-memory database. Prints microseconds per check; the face pipeline takes milliseconds.
import { SitePolicy } from '../access/policy/site-policy.js';
import { openDatabase } from '../store/database.js';
import { PeopleRepository } from '../store/people-repository.js';

const PEOPLE = 1000;
const CHECKS = 20_000;

const db = openDatabase(':memory:');
const people = new PeopleRepository(db);
const site = new SitePolicy(db);
site.settings.update({ ...site.settings.get(), mode: 'enforced', timeZone: 'Europe/Berlin' });
const zones = Array.from({ length: 20 }, (_, i) => site.zones.create({ name: `zone ${i}`, doorIds: [`d${i}`, `d${i + 1}`] }));
const schedule = site.schedules.create({
  name: 'office and Saturday night',
  windows: [
    { days: ['mon', 'tue', 'wed', 'thu', 'fri'], start: '08:00', end: '18:00' },
    { days: ['sat'], start: '22:00', end: '06:00' },
  ],
  holidayWindows: [],
});
const groups = Array.from({ length: 10 }, (_, i) =>
  site.groups.create({ name: `group ${i}`, grants: zones.slice(i, i + 3).map((z) => ({ zoneId: z.id, scheduleId: schedule.id })) }),
);
const ids = Array.from({ length: PEOPLE }, (_, i) => {
  const { id } = people.create({ displayName: `person ${i}` });
  site.personAccess.replace(id, [groups[i % 10]!.id, groups[(i + 3) % 10]!.id], { validFrom: null, validUntil: null });
  return id;
});
const start = Date.parse('2026-06-08T10:00:00Z');
const check = (i: number) => site.policy.check(ids[i % PEOPLE]!, `d${i % 21}`, start + i * 1000);
for (let i = 0; i < 2000; i++) check(i); // warm-up
const began = process.hrtime.bigint();
for (let i = 0; i < CHECKS; i++) check(i);
const micros = Number(process.hrtime.bigint() - began) / 1000 / CHECKS;
process.stdout.write(`policy check: ${micros.toFixed(1)} µs per decision (enforced, ${PEOPLE} people, 20 zones, 10 groups, ${CHECKS} checks)\n`);
db.close();
