import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../../store/database.js';
import { OutboxRepository, type MqttQos, type NewOutboxMessage } from '../../store/outbox-repository.js';

function message(n: number, overrides: Partial<NewOutboxMessage> = {}): NewOutboxMessage {
  return { topic: `maskgate/gate-1/decision`, payload: JSON.stringify({ n }), qos: 1, retain: false, expiresAt: null, ...overrides };
}

describe('OutboxRepository', () => {
  let db: Database;
  let clock: number;
  const outbox = (maxRows: number) => new OutboxRepository(db, { maxRows, now: () => clock });

  beforeEach(() => {
    db = openDatabase(':memory:');
    clock = 1_000;
  });
  afterEach(() => db.close());

  it('queues messages in order and hands them out until delivered', () => {
    const box = outbox(10);
    const seqs = [1, 2, 3].map((n) => box.enqueue(message(n, { retain: n === 2, qos: (n % 3) as MqttQos })).seq);
    expect(seqs[1]).toBeGreaterThan(seqs[0]!);
    const pending = box.pending();
    expect(pending.map((m) => JSON.parse(m.payload).n)).toEqual([1, 2, 3]);
    expect(pending[1]).toMatchObject({ retain: true, qos: 2, createdAt: 1_000, deliveredAt: null });
    expect(box.markDelivered(seqs[0]!)).toBe(true);
    expect(box.markDelivered(seqs[0]!)).toBe(false);
    expect(box.pending(1).map((m) => m.seq)).toEqual([seqs[1]]);
    expect(box.countUndelivered()).toBe(2);
    expect(box.purgeDelivered()).toBe(1);
  });

  it('is bounded: discards delivered rows first, then drops the oldest undelivered and reports them', () => {
    const box = outbox(3);
    const first = box.enqueue(message(1)).seq;
    box.enqueue(message(2));
    box.enqueue(message(3));
    box.markDelivered(first);
    expect(box.enqueue(message(4)).dropped).toEqual([]); // the delivered row made room
    const result = box.enqueue(message(5));
    expect(result.dropped.map((m) => JSON.parse(m.payload).n)).toEqual([2]);
    expect(box.pending().map((m) => JSON.parse(m.payload).n)).toEqual([3, 4, 5]);
    expect(db.prepare('SELECT COUNT(*) FROM outbox').pluck().get()).toBe(3);
  });

  it('never reuses a sequence number after rows are dropped', () => {
    const box = outbox(1);
    const a = box.enqueue(message(1)).seq;
    const b = box.enqueue(message(2));
    expect(b.dropped.map((m) => m.seq)).toEqual([a]);
    box.purgeDelivered();
    expect(box.enqueue(message(3)).seq).toBeGreaterThan(b.seq);
  });

  it('withholds expired messages and removes them visibly', () => {
    const box = outbox(10);
    box.enqueue(message(1, { expiresAt: 1_500 }));
    box.enqueue(message(2, { expiresAt: null }));
    box.enqueue(message(3, { expiresAt: 3_000 }));
    clock = 2_000;
    expect(box.pending().map((m) => JSON.parse(m.payload).n)).toEqual([2, 3]);
    const expired = box.expireDue();
    expect(expired.map((m) => JSON.parse(m.payload).n)).toEqual([1]);
    expect(box.expireDue()).toEqual([]);
    expect(box.countUndelivered()).toBe(2);
  });

  it('validates its input', () => {
    expect(() => outbox(0)).toThrow(expect.objectContaining({ code: 'STORE_INVALID_INPUT' }));
    const box = outbox(5);
    for (const bad of [
      message(1, { topic: '' }),
      message(1, { topic: 'maskgate/#' }),
      message(1, { qos: 3 as MqttQos }),
      message(1, { expiresAt: Number.NaN }),
    ]) {
      expect(() => box.enqueue(bad)).toThrow(expect.objectContaining({ code: 'STORE_INVALID_INPUT' }));
    }
    expect(box.countUndelivered()).toBe(0);
  });
});
