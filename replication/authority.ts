// The enrolment authority's side: publishes every person whose journal revision is newer than
// what it last published (retained, QoS 1, sealed and signed), and records the replicas'
// reports. The journal is kept by SQLite triggers (store migration 2), so enrolments through
// the API, the CLI or another process on the same file all replicate, and a change made while
// the broker is away is published when it comes back: nothing is queued in memory.
import type { Logger } from 'pino';
import type { Database } from '../store/database.js';
import { FacesRepository } from '../store/faces-repository.js';
import { PeopleRepository } from '../store/people-repository.js';
import { PersonAccessRepository } from '../store/person-access-repository.js';
import { PinsRepository } from '../store/pins-repository.js';
import { PolicyDocumentRepository } from '../store/policy-document-repository.js';
import { ReplicationRepository, type PendingChange } from '../store/replication-repository.js';
import type { AuthoritySigner } from './authority-signature.js';
import { CoalescedRun } from './coalesced-run.js';
import { POLICY_SUBJECT, type PersonBody } from './messages.js';
import { openReport, sealChange } from './sealing.js';
import type { SiteKeyring } from './site-keys.js';
import type { ReplicationTopics } from './topics.js';
import type { ReplicationMessage, ReplicationTransport } from './transport.js';

export interface AuthorityOptions {
  readonly site: string;
  readonly authorityId: string;
  readonly keys: SiteKeyring;
  readonly signer: AuthoritySigner;
  readonly transport: ReplicationTransport;
  readonly topics: ReplicationTopics;
  readonly db: Database;
  readonly logger: Logger;
  /** Replicas named in the config: pending for every erasure until they confirm, even before they first report. */
  readonly expectedReplicas: readonly string[];
  /** How often the journal is checked for changes made by another process. */
  readonly pollMs?: number;
}

/** Publishes in flight at once: enough to hide the broker round trip, few enough to bound memory. */
const PUBLISH_WINDOW = 32;

export class ReplicationAuthority {
  private readonly journal: ReplicationRepository;
  private readonly people: PeopleRepository;
  private readonly faces: FacesRepository;
  private readonly personAccess: PersonAccessRepository;
  private readonly pins: PinsRepository;
  private readonly policy: PolicyDocumentRepository;
  private timer: NodeJS.Timeout | null = null;
  private readonly publishing: CoalescedRun;
  private readonly detach: (() => void)[] = [];

  constructor(private readonly options: AuthorityOptions) {
    this.journal = new ReplicationRepository(options.db);
    this.publishing = new CoalescedRun(
      async () => {
        await this.publishPending();
        await this.clearConfirmedTombstones();
      },
      (err) => options.logger.warn({ err: err.message }, 'replication publish interrupted; retrying on the next pass'),
      () => options.transport.connected,
    );
    this.people = new PeopleRepository(options.db);
    this.faces = new FacesRepository(options.db);
    this.personAccess = new PersonAccessRepository(options.db);
    this.pins = new PinsRepository(options.db);
    this.policy = new PolicyDocumentRepository(options.db);
  }

  get repository(): ReplicationRepository {
    return this.journal;
  }

  start(): void {
    const { transport, topics, expectedReplicas, logger } = this.options;
    for (const id of expectedReplicas) this.journal.expectReplica(id);
    transport.subscribe(topics.allReports);
    this.detach.push(transport.onMessage((m) => this.onReport(m)));
    this.detach.push(transport.onConnected(() => void this.flush()));
    this.timer = setInterval(() => void this.flush(), this.options.pollMs ?? 500);
    this.timer.unref();
    logger.info({ site: this.options.site, keyVersion: this.options.keys.currentVersion, expectedReplicas }, 'replication authority started');
    void this.flush();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    for (const off of this.detach.splice(0)) off();
    await this.publishing.idle();
  }

  /** After a key rotation: every person is sealed again under the current key version and republished. */
  republishAll(): number {
    const count = this.journal.markAllUnpublished();
    void this.flush();
    return count;
  }

  /** Publishes what is pending; concurrent calls coalesce into one more pass. Never rejects. */
  flush(): Promise<void> {
    return this.publishing.request();
  }

  private async publishPending(): Promise<void> {
    const { transport, topics } = this.options;
    // The policy first: a person's snapshot may name a group that only the new document holds.
    if (this.journal.unpublishedPolicy() !== null) await this.publishPolicy();
    while (transport.connected) {
      const batch = this.journal.unpublished(PUBLISH_WINDOW);
      if (batch.length === 0) return;
      await Promise.all(
        batch.map(async (change) => {
          const message = this.sealed(change);
          if (!message) return;
          await transport.publish(topics.person(change.personId), message.payload, { retain: true });
          this.journal.markPublished(change.personId, message.revision);
        }),
      );
    }
  }

  /** The whole site policy under its revision, retained on the policy topic (newest wins). */
  private async publishPolicy(): Promise<void> {
    const { site, authorityId, keys, signer, transport, topics, db } = this.options;
    const { revision, document } = db.transaction(() => ({ revision: this.journal.policyRevision(), document: this.policy.read() }))();
    const payload = sealChange(keys, signer, { site, authorityId, personId: POLICY_SUBJECT, revision, kind: 'policy' }, document);
    await transport.publish(topics.policy, payload, { retain: true });
    this.journal.markPolicyPublished(revision);
  }

  /**
   * The person's newest state, read in one transaction with its revision so the two agree.
   * Null in the instant between a person's insert and the trigger's row being visible (never
   * in practice) — the next pass publishes it.
   */
  private sealed(change: PendingChange): { payload: Buffer; revision: number } | null {
    const { site, authorityId, keys, signer } = this.options;
    const snapshot = this.options.db.transaction(() => {
      const latest = this.journal.latest(change.personId);
      if (!latest) return null;
      if (latest.tombstone) return { latest, body: null };
      const person = this.people.get(change.personId);
      if (!person) return null;
      const body: PersonBody = {
        displayName: person.displayName,
        externalId: person.externalId,
        active: person.active,
        faces: this.faces.listByPerson(person.id).map((face) => ({
          id: face.id,
          sourceSha256: face.sourceSha256,
          quality: face.quality as unknown as Record<string, unknown>,
          cropPng: this.faces.getCrop(face.id)!,
        })),
        access: {
          groupIds: this.personAccess.groupIds(person.id),
          ...this.personAccess.validity(person.id),
          pinHash: this.pins.get(person.id)?.hash ?? null,
        },
      };
      return { latest, body };
    })();
    if (!snapshot) return null;
    const { latest, body } = snapshot;
    const payload = sealChange(
      keys,
      signer,
      { site, authorityId, personId: latest.personId, revision: latest.revision, kind: latest.tombstone ? 'tombstone' : 'person' },
      body,
    );
    return { payload, revision: latest.revision };
  }

  /** A tombstone every known replica confirmed leaves the broker: no retained trace of the person remains. */
  private async clearConfirmedTombstones(): Promise<void> {
    const { transport, topics, logger } = this.options;
    for (const tombstone of this.journal.tombstonesReadyToClear(1000)) {
      if (!transport.connected) return;
      await transport.publish(topics.person(tombstone.personId), Buffer.alloc(0), { retain: true });
      this.journal.markTombstoneCleared(tombstone.personId, tombstone.revision);
      logger.info({ personId: tombstone.personId }, 'erasure confirmed by every replica; retained tombstone cleared');
    }
  }

  private onReport(message: ReplicationMessage): void {
    const { topics, keys, site, logger } = this.options;
    const replicaId = topics.idIn(message.topic, 'report');
    if (replicaId === null) return;
    const opened = openReport(keys, { site, replicaId }, message.payload);
    if (!opened.ok) {
      logger.warn({ replicaId, reason: opened.reason, detail: opened.detail }, 'replica report refused');
      return;
    }
    const { body } = opened;
    this.options.db.transaction(() => {
      this.journal.replicaSeen(replicaId, body.modelId, body.people, body.policyRevision ?? null);
      for (const ack of body.acks) this.journal.recordAck({ ...ack, replicaId });
    })();
    if (body.acks.some((a) => a.tombstone)) void this.flush();
  }
}
