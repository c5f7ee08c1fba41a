// The MQTT offline queue: messages produced while the broker is unreachable wait here, on
// disk, and are published in order when it returns. Bounded, because an appliance left
// offline for weeks must not fill its flash; every message that is dropped or expires is
// handed back to the caller so that it can be reported rather than vanish silently.
import type { Database } from './database.js';
import { StoreError } from './errors.js';

export type MqttQos = 0 | 1 | 2;

export interface NewOutboxMessage {
  readonly topic: string;
  /** Serialised payload (JSON text per the MQTT contract). */
  readonly payload: string;
  readonly qos: MqttQos;
  readonly retain: boolean;
  /** After this time (ms since epoch) the message must not be delivered; null = never expires. */
  readonly expiresAt: number | null;
}

export interface OutboxMessage extends NewOutboxMessage {
  /** Strictly increasing, never reused: publish in this order. */
  readonly seq: number;
  readonly createdAt: number;
  readonly deliveredAt: number | null;
}

export interface EnqueueResult {
  readonly seq: number;
  /** Oldest undelivered messages removed to respect maxRows, oldest first (usually empty). */
  readonly dropped: readonly OutboxMessage[];
}

export interface OutboxOptions {
  /** Most rows kept on disk (delivered rows are discarded first). */
  readonly maxRows: number;
  readonly now?: () => number;
}

interface OutboxRow {
  seq: number;
  topic: string;
  payload: string;
  qos: MqttQos;
  retain: number;
  created_at: number;
  expires_at: number | null;
  delivered_at: number | null;
}

const COLUMNS = 'seq, topic, payload, qos, retain, created_at, expires_at, delivered_at';

export class OutboxRepository {
  private readonly maxRows: number;
  private readonly now: () => number;
  private readonly insertStatement;
  private readonly countAllStatement;
  private readonly countUndeliveredStatement;
  private readonly deleteDeliveredStatement;
  private readonly oldestUndeliveredStatement;
  private readonly deleteUpToStatement;
  private readonly pendingStatement;
  private readonly markDeliveredStatement;
  private readonly dueStatement;
  private readonly deleteDueStatement;
  private readonly enqueueTransaction;
  private readonly expireTransaction;

  constructor(db: Database, options: OutboxOptions) {
    if (!Number.isInteger(options.maxRows) || options.maxRows < 1) {
      throw new StoreError('STORE_INVALID_INPUT', 'outbox maxRows must be a positive integer');
    }
    this.maxRows = options.maxRows;
    this.now = options.now ?? Date.now;
    this.insertStatement = db.prepare<[Omit<OutboxRow, 'seq'>]>(
      `INSERT INTO outbox (topic, payload, qos, retain, created_at, expires_at, delivered_at)
       VALUES (@topic, @payload, @qos, @retain, @created_at, @expires_at, @delivered_at)`,
    );
    this.countAllStatement = db.prepare<[], number>('SELECT COUNT(*) FROM outbox').pluck();
    this.countUndeliveredStatement = db.prepare<[], number>(
      'SELECT COUNT(*) FROM outbox WHERE delivered_at IS NULL',
    ).pluck();
    this.deleteDeliveredStatement = db.prepare('DELETE FROM outbox WHERE delivered_at IS NOT NULL');
    this.oldestUndeliveredStatement = db.prepare<[number], OutboxRow>(
      `SELECT ${COLUMNS} FROM outbox WHERE delivered_at IS NULL ORDER BY seq LIMIT ?`,
    );
    this.deleteUpToStatement = db.prepare<[number]>('DELETE FROM outbox WHERE delivered_at IS NULL AND seq <= ?');
    this.pendingStatement = db.prepare<[number, number], OutboxRow>(
      `SELECT ${COLUMNS} FROM outbox
       WHERE delivered_at IS NULL AND (expires_at IS NULL OR expires_at > ?)
       ORDER BY seq LIMIT ?`,
    );
    this.markDeliveredStatement = db.prepare<[number, number]>(
      'UPDATE outbox SET delivered_at = ? WHERE seq = ? AND delivered_at IS NULL',
    );
    this.dueStatement = db.prepare<[number], OutboxRow>(
      `SELECT ${COLUMNS} FROM outbox WHERE delivered_at IS NULL AND expires_at <= ? ORDER BY seq`,
    );
    this.deleteDueStatement = db.prepare<[number]>(
      'DELETE FROM outbox WHERE delivered_at IS NULL AND expires_at <= ?',
    );
    this.enqueueTransaction = db.transaction((message: NewOutboxMessage): EnqueueResult => {
      const seq = Number(this.insertStatement.run(toInsertRow(message, this.now())).lastInsertRowid);
      return { seq, dropped: this.enforceBound() };
    });
    this.expireTransaction = db.transaction((at: number): OutboxMessage[] => {
      const due = this.dueStatement.all(at).map(toMessage);
      this.deleteDueStatement.run(at);
      return due;
    });
  }

  /** Queues a message; if that exceeds maxRows, drops the oldest undelivered ones and returns them. */
  enqueue(message: NewOutboxMessage): EnqueueResult {
    return this.enqueueTransaction(message);
  }

  /** Undelivered, unexpired messages in publish order. */
  pending(limit = 100): OutboxMessage[] {
    return this.pendingStatement.all(this.now(), Math.max(1, Math.floor(limit))).map(toMessage);
  }

  /** True when the message was pending and is now marked delivered. */
  markDelivered(seq: number): boolean {
    return this.markDeliveredStatement.run(this.now(), seq).changes > 0;
  }

  /** Removes undelivered messages whose expiry has passed and returns them, so they can be reported. */
  expireDue(): OutboxMessage[] {
    return this.expireTransaction(this.now());
  }

  /** Deletes delivered messages; returns how many. */
  purgeDelivered(): number {
    return this.deleteDeliveredStatement.run().changes;
  }

  countUndelivered(): number {
    return this.countUndeliveredStatement.get() ?? 0;
  }

  private enforceBound(): OutboxMessage[] {
    if ((this.countAllStatement.get() ?? 0) <= this.maxRows) return [];
    this.deleteDeliveredStatement.run();
    const excess = (this.countUndeliveredStatement.get() ?? 0) - this.maxRows;
    if (excess <= 0) return [];
    const dropped = this.oldestUndeliveredStatement.all(excess);
    const last = dropped[dropped.length - 1];
    if (last) this.deleteUpToStatement.run(last.seq);
    return dropped.map(toMessage);
  }
}

function toInsertRow(message: NewOutboxMessage, createdAt: number): Omit<OutboxRow, 'seq'> {
  // eslint-disable-next-line no-control-regex -- MQTT forbids U+0000 in topic names (MQTT 5.0 §1.5.4)
  if (typeof message.topic !== 'string' || message.topic.length === 0 || /[#+\u0000]/.test(message.topic)) {
    throw new StoreError('STORE_INVALID_INPUT', 'outbox topic must be a non-empty MQTT topic name without wildcards');
  }
  if (typeof message.payload !== 'string') {
    throw new StoreError('STORE_INVALID_INPUT', 'outbox payload must be a string');
  }
  if (message.qos !== 0 && message.qos !== 1 && message.qos !== 2) {
    throw new StoreError('STORE_INVALID_INPUT', `invalid MQTT QoS ${String(message.qos)}`);
  }
  if (message.expiresAt !== null && !Number.isFinite(message.expiresAt)) {
    throw new StoreError('STORE_INVALID_INPUT', 'outbox expiresAt must be a finite number or null');
  }
  return {
    topic: message.topic,
    payload: message.payload,
    qos: message.qos,
    retain: message.retain ? 1 : 0,
    created_at: createdAt,
    expires_at: message.expiresAt,
    delivered_at: null,
  };
}

function toMessage(row: OutboxRow): OutboxMessage {
  return {
    seq: row.seq,
    topic: row.topic,
    payload: row.payload,
    qos: row.qos,
    retain: row.retain === 1,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    deliveredAt: row.delivered_at,
  };
}
