// A replica's side: applies the authority's changes to the local gallery, newest revision per
// person wins, each change at most once, in one transaction with its bookkeeping; refuses (and
// logs) anything not sealed with the site key and signed by the authority; and reports what it
// applied. Erasure goes through the same store path as a local deletion (secure_delete, WAL
// truncated), and is acknowledged only after that. Changes are applied one at a time, in
// arrival order, so an embedding in progress never interleaves with the next change.
import type { Logger } from 'pino';
import type { Gallery, ImportedFace } from '../access/gallery.js';
import type { Embedder } from '../pipeline/embedder.js';
import { decodeImage } from '../pipeline/image.js';
import type { QualityReport } from '../pipeline/types.js';
import { truncateWal, type Database } from '../store/database.js';
import { PersonAccessRepository } from '../store/person-access-repository.js';
import { PinsRepository } from '../store/pins-repository.js';
import { PolicyDocumentRepository } from '../store/policy-document-repository.js';
import { ReplicationRepository } from '../store/replication-repository.js';
import type { AuthorityVerifier } from './authority-signature.js';
import { CoalescedRun } from './coalesced-run.js';
import { MAX_ACKS_PER_REPORT, POLICY_SUBJECT, type PersonAccess, type PersonBody, type PolicyBody } from './messages.js';
import { openChange, sealReport } from './sealing.js';
import type { SiteKeyring } from './site-keys.js';
import type { ReplicationTopics } from './topics.js';
import type { ReplicationMessage, ReplicationTransport } from './transport.js';

export interface ReplicaOptions {
  readonly site: string;
  readonly authorityId: string;
  readonly replicaId: string;
  readonly keys: SiteKeyring;
  readonly verifier: AuthorityVerifier;
  readonly transport: ReplicationTransport;
  readonly topics: ReplicationTopics;
  readonly db: Database;
  readonly gallery: Gallery;
  /** The gallery's own embedder: each appliance embeds the replicated crops with its own model. */
  readonly embedder: Embedder;
  readonly logger: Logger;
}

export type ApplyOutcome = 'applied' | 'erased' | 'policy' | 'stale' | 'refused' | 'failed' | 'ignored';

/** A stored crop is a 112x112 PNG; anything near this size is not one. */
const MAX_CROP_PIXELS = 512 * 512;

export class ReplicationReplica {
  private readonly ledger: ReplicationRepository;
  private readonly policy: PolicyDocumentRepository;
  private readonly personAccess: PersonAccessRepository;
  private readonly pins: PinsRepository;
  private chain: Promise<unknown> = Promise.resolve();
  private readonly reporting: CoalescedRun;
  private readonly detach: (() => void)[] = [];
  private readonly listeners = new Set<(outcome: ApplyOutcome, personId: string | null) => void>();

  constructor(private readonly options: ReplicaOptions) {
    this.ledger = new ReplicationRepository(options.db);
    this.policy = new PolicyDocumentRepository(options.db);
    this.personAccess = new PersonAccessRepository(options.db);
    this.pins = new PinsRepository(options.db);
    this.reporting = new CoalescedRun(
      () => this.sendReports(),
      (err) => options.logger.warn({ err: err.message }, 'replica report not sent; retrying on reconnect'),
    );
  }

  get repository(): ReplicationRepository {
    return this.ledger;
  }

  /** Called after each message is handled (tests and metrics). */
  onApplied(listener: (outcome: ApplyOutcome, personId: string | null) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  start(): void {
    const { transport, topics, logger, site, authorityId, keys } = this.options;
    transport.subscribe(topics.policy);
    transport.subscribe(topics.allPeople);
    this.detach.push(transport.onMessage((m) => this.enqueue(m)));
    this.detach.push(transport.onConnected(() => void this.report()));
    logger.info({ site, authorityId, keyVersions: keys.versions }, 'replication replica started');
  }

  async stop(): Promise<void> {
    for (const off of this.detach.splice(0)) off();
    await this.chain;
    await this.reporting.idle();
  }

  /** Resolves once every message received so far has been handled. */
  async idle(): Promise<void> {
    await this.chain;
  }

  private enqueue(message: ReplicationMessage): void {
    this.chain = this.chain.then(() =>
      this.apply(message).then(
        (outcome) => this.emit(outcome, this.subjectOf(message.topic)),
        (err: unknown) => {
          this.options.logger.error({ topic: message.topic, err: (err as Error).message }, 'replicated change not applied');
          this.emit('failed', this.subjectOf(message.topic));
        },
      ),
    );
  }

  /** The person id of a person topic, POLICY_SUBJECT for the policy topic, else null. */
  private subjectOf(topic: string): string | null {
    return topic === this.options.topics.policy ? POLICY_SUBJECT : this.options.topics.idIn(topic, 'person');
  }

  private emit(outcome: ApplyOutcome, personId: string | null): void {
    for (const listener of this.listeners) listener(outcome, personId);
    if (outcome === 'applied' || outcome === 'erased' || outcome === 'policy') void this.report();
  }

  /** Handles one message from the person topics. Exposed for tests; the transport feeds it otherwise. */
  async apply(message: ReplicationMessage): Promise<ApplyOutcome> {
    const { keys, verifier, site, authorityId, logger } = this.options;
    const personId = this.subjectOf(message.topic);
    // An empty retained payload is the authority clearing a confirmed tombstone: nothing to do.
    if (personId === null || message.payload.length === 0) return 'ignored';
    const opened = openChange(keys, verifier, { site, authorityId, personId }, message.payload);
    if (!opened.ok) {
      logger.warn(
        { personId, revision: opened.revision, reason: opened.reason, detail: opened.detail, bytes: message.payload.length },
        'replicated change refused',
      );
      return 'refused';
    }
    const { revision } = opened.header;
    if (opened.kind === 'policy') return this.applyPolicy(revision, opened.body);
    if (personId === POLICY_SUBJECT) return 'ignored';
    const applied = this.ledger.applied(personId);
    if (applied && applied.revision >= revision) return 'stale';
    const record = () => {
      this.ledger.recordApplied(personId, { authorityId, revision, tombstone: opened.kind === 'tombstone' });
      if (opened.kind === 'person' && opened.body.access) this.applyPersonAccess(personId, opened.body.access);
    };
    if (opened.kind === 'tombstone') {
      this.options.db.transaction(() => {
        this.options.gallery.deletePerson(personId);
        record();
      })();
      // After commit: the freed pages are zeroed (secure_delete); now no old copy stays in the WAL.
      truncateWal(this.options.db);
      logger.info({ personId, revision }, 'replicated erasure applied');
      return 'erased';
    }
    const faces = await this.newFaces(personId, opened.body);
    // Another change of this person cannot have been applied meanwhile (one at a time), but the
    // person may have been erased locally by hand: the snapshot then simply recreates them.
    const { facesRemoved } = this.options.gallery.importPerson(
      { id: personId, displayName: opened.body.displayName, externalId: opened.body.externalId, active: opened.body.active },
      opened.body.faces.map((f) => f.id),
      faces,
      record,
    );
    if (facesRemoved > 0) truncateWal(this.options.db);
    logger.debug({ personId, revision, faces: opened.body.faces.length, embedded: faces.length }, 'replicated change applied');
    return 'applied';
  }

  /**
   * Replaces the local policy with the authority's document, newest revision wins, and gives
   * the replicated people back their memberships of groups that still exist — in one
   * transaction, so a decision never sees half a policy. The decision path reads the policy
   * from the database on every decision: the next decision applies it.
   */
  private applyPolicy(revision: number, body: PolicyBody): ApplyOutcome {
    const { authorityId, logger, db } = this.options;
    const applied = this.ledger.appliedPolicy();
    if (applied && applied.authorityId === authorityId && applied.revision >= revision) return 'stale';
    db.transaction(() => {
      this.policy.replace(body);
      this.ledger.restoreReplicatedMemberships();
      this.ledger.recordAppliedPolicy(authorityId, revision);
    })();
    logger.info({ revision, mode: body.settings.mode, zones: body.zones.length, groups: body.groups.length, schedules: body.schedules.length }, 'replicated access policy applied');
    return 'policy';
  }

  /**
   * The person's memberships (of the groups that exist here; the rest are kept in the ledger
   * until the policy document brings them), validity and PIN hash. An unchanged hash keeps the
   * local failed-attempt count and lockout: re-publishing a person must not reset a guesser.
   */
  private applyPersonAccess(personId: string, access: PersonAccess): void {
    this.ledger.recordReplicatedGroups(personId, access.groupIds);
    this.personAccess.replace(personId, this.policy.existingGroups(access.groupIds), { validFrom: access.validFrom, validUntil: access.validUntil });
    if (access.pinHash === null) this.pins.clear(personId);
    else if (this.pins.get(personId)?.hash !== access.pinHash) this.pins.set(personId, access.pinHash);
  }

  /** Embeds the crops this appliance does not have yet, with its own model. */
  private async newFaces(personId: string, body: PersonBody): Promise<ImportedFace[]> {
    const { gallery, embedder, logger } = this.options;
    const result: ImportedFace[] = [];
    for (const face of body.faces) {
      if (gallery.face(face.id)) continue;
      const crop = face.cropPng;
      let embedding: Float32Array | null = null;
      try {
        const [vector] = await embedder.embed([await decodeImage(crop, { maxPixels: MAX_CROP_PIXELS })]);
        embedding = vector ?? null;
      } catch (err) {
        logger.warn({ personId, faceId: face.id, err: (err as Error).message }, 'replicated crop could not be embedded; kept for re-embedding');
      }
      result.push({ id: face.id, alignedCropPng: crop, sourceSha256: face.sourceSha256, quality: face.quality as unknown as QualityReport, embedding });
    }
    return result;
  }

  /** Sends acknowledgements (and the model and head-count) until none is pending. Never rejects. */
  report(): Promise<void> {
    return this.reporting.request();
  }

  private async sendReports(): Promise<void> {
    const { transport, topics, keys, site, replicaId, gallery } = this.options;
    for (let first = true; transport.connected; first = false) {
      const pending = this.ledger.unacknowledged(MAX_ACKS_PER_REPORT);
      if (pending.length === 0 && !first) return;
      // An erasure is confirmed only once no old page copy is left in the WAL; when a reader
      // holds it, the ack says "not yet" and is sent again on the next report.
      const scrubbed = pending.some((p) => p.tombstone) ? truncateWal(this.options.db) : true;
      const acks = pending.map((p) => ({ personId: p.personId, revision: p.revision, tombstone: p.tombstone, erased: p.tombstone && scrubbed }));
      const policyRevision = this.ledger.appliedPolicy()?.revision;
      const payload = sealReport(keys, site, replicaId, {
        modelId: gallery.modelId,
        people: gallery.countPeople(),
        acks,
        ...(policyRevision ? { policyRevision } : {}),
      });
      await transport.publish(topics.report(replicaId), payload, { retain: false });
      this.options.db.transaction(() => {
        for (const p of pending) if (scrubbed || !p.tombstone) this.ledger.markAcknowledged(p.personId, p.revision);
      })();
      if (!scrubbed || pending.length < MAX_ACKS_PER_REPORT) return;
    }
  }
}
