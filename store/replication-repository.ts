// Replication bookkeeping (replication/, docs/campus.md). The authority side reads the change
// journal that triggers on people and faces keep (migration 2) and records what each replica
// acknowledged; the replica side records which revision of each person it applied. None of
// these tables holds a name, a crop or a template: person ids are opaque random UUIDs.
import type { Database } from './database.js';
import { pageOffset, pageSize } from './paging.js';

/** A person whose latest revision the authority has not published yet. */
export interface PendingChange {
  readonly personId: string;
  readonly revision: number;
  readonly tombstone: boolean;
}

export interface AppliedRevision {
  readonly authorityId: string;
  readonly revision: number;
  readonly tombstone: boolean;
}

export interface ReplicaAck {
  readonly personId: string;
  readonly replicaId: string;
  readonly revision: number;
  readonly tombstone: boolean;
  /** For a tombstone: the replica erased the person and scrubbed its files (WAL truncated). */
  readonly erased: boolean;
}

export interface ReplicaRecord {
  readonly replicaId: string;
  readonly modelId: string | null;
  readonly people: number | null;
  readonly firstSeenAt: number | null;
  readonly lastSeenAt: number | null;
  /** The policy document revision the replica last reported applied. */
  readonly policyRevision: number | null;
}

/** One deleted person as the authority sees the erasure: who confirmed, who is still pending. */
export interface ErasureStatus {
  readonly personId: string;
  readonly revision: number;
  readonly deletedAt: number;
  readonly confirmed: { replicaId: string; erased: boolean; at: number }[];
  readonly pending: string[];
  /** True once every known replica confirmed and the retained tombstone was removed from the broker. */
  readonly tombstoneCleared: boolean;
}

interface AckRow {
  person_id: string;
  replica_id: string;
  revision: number;
  tombstone: number;
  erased: number;
  acked_at: number;
}

export class ReplicationRepository {
  private readonly unpublishedStatement;
  private readonly outgoingStatement;
  private readonly markPublishedStatement;
  private readonly appliedStatement;
  private readonly recordAppliedStatement;
  private readonly unacknowledgedStatement;
  private readonly markAcknowledgedStatement;
  private readonly countAppliedStatement;
  private readonly recordAckStatement;
  private readonly ackStatement;
  private readonly acksForStatement;
  private readonly seenReplicaStatement;
  private readonly expectReplicaStatement;
  private readonly replicasStatement;
  private readonly tombstonesStatement;
  private readonly countTombstonesStatement;
  private readonly unclearedTombstonesStatement;
  private readonly markClearedStatement;

  constructor(
    private readonly db: Database,
    private readonly now: () => number = Date.now,
  ) {
    this.unpublishedStatement = db.prepare<[number], { person_id: string; revision: number; tombstone: number }>(
      'SELECT person_id, revision, tombstone FROM replication_outgoing WHERE revision > published_revision ORDER BY changed_at LIMIT ?',
    );
    this.outgoingStatement = db.prepare<[string], { revision: number; tombstone: number }>(
      'SELECT revision, tombstone FROM replication_outgoing WHERE person_id = ?',
    );
    this.markPublishedStatement = db.prepare<[number, string]>(
      'UPDATE replication_outgoing SET published_revision = max(published_revision, ?) WHERE person_id = ?',
    );
    this.appliedStatement = db.prepare<[string], { authority_id: string; revision: number; tombstone: number }>(
      'SELECT authority_id, revision, tombstone FROM replication_applied WHERE person_id = ?',
    );
    this.recordAppliedStatement = db.prepare<[{ person_id: string; authority_id: string; revision: number; tombstone: number; at: number }]>(
      `INSERT INTO replication_applied (person_id, authority_id, revision, tombstone, acknowledged, applied_at)
       VALUES (@person_id, @authority_id, @revision, @tombstone, 0, @at)
       ON CONFLICT (person_id) DO UPDATE SET authority_id = @authority_id, revision = @revision, tombstone = @tombstone,
                                             acknowledged = 0, applied_at = @at`,
    );
    this.unacknowledgedStatement = db.prepare<[number], { person_id: string; revision: number; tombstone: number }>(
      'SELECT person_id, revision, tombstone FROM replication_applied WHERE acknowledged = 0 ORDER BY applied_at LIMIT ?',
    );
    this.markAcknowledgedStatement = db.prepare<[string, number]>(
      'UPDATE replication_applied SET acknowledged = 1 WHERE person_id = ? AND revision = ?',
    );
    this.countAppliedStatement = db.prepare<[], number>('SELECT COUNT(*) FROM replication_applied WHERE tombstone = 0').pluck();
    this.recordAckStatement = db.prepare<[AckRow]>(
      `INSERT INTO replication_acks (person_id, replica_id, revision, tombstone, erased, acked_at)
       VALUES (@person_id, @replica_id, @revision, @tombstone, @erased, @acked_at)
       ON CONFLICT (person_id, replica_id) DO UPDATE SET revision = @revision, tombstone = @tombstone, erased = @erased,
                                                         acked_at = @acked_at
       WHERE @revision >= replication_acks.revision`,
    );
    this.ackStatement = db.prepare<[string, string], AckRow>('SELECT * FROM replication_acks WHERE person_id = ? AND replica_id = ?');
    this.acksForStatement = db.prepare<[string], AckRow>('SELECT * FROM replication_acks WHERE person_id = ?');
    this.seenReplicaStatement = db.prepare<[{ id: string; model: string | null; people: number | null; policy: number | null; at: number }]>(
      `INSERT INTO replication_replicas (replica_id, model_id, people, policy_revision, first_seen_at, last_seen_at)
       VALUES (@id, @model, @people, @policy, @at, @at)
       ON CONFLICT (replica_id) DO UPDATE SET model_id = @model, people = @people, last_seen_at = @at,
                                              policy_revision = coalesce(@policy, policy_revision),
                                              first_seen_at = coalesce(first_seen_at, @at)`,
    );
    this.expectReplicaStatement = db.prepare<[string]>(
      'INSERT INTO replication_replicas (replica_id) VALUES (?) ON CONFLICT (replica_id) DO NOTHING',
    );
    this.replicasStatement = db.prepare<
      [],
      { replica_id: string; model_id: string | null; people: number | null; first_seen_at: number | null; last_seen_at: number | null; policy_revision: number | null }
    >(
      'SELECT * FROM replication_replicas ORDER BY replica_id',
    );
    this.tombstonesStatement = db.prepare<[number, number], { person_id: string; revision: number; changed_at: number; tombstone_cleared: number }>(
      `SELECT person_id, revision, changed_at, tombstone_cleared FROM replication_outgoing WHERE tombstone = 1
       ORDER BY changed_at DESC, person_id LIMIT ? OFFSET ?`,
    );
    this.countTombstonesStatement = db.prepare<[], number>('SELECT COUNT(*) FROM replication_outgoing WHERE tombstone = 1').pluck();
    this.unclearedTombstonesStatement = db.prepare<[number], { person_id: string; revision: number }>(
      `SELECT person_id, revision FROM replication_outgoing
       WHERE tombstone = 1 AND tombstone_cleared = 0 AND published_revision >= revision ORDER BY changed_at LIMIT ?`,
    );
    this.markClearedStatement = db.prepare<[string, number]>(
      'UPDATE replication_outgoing SET tombstone_cleared = 1 WHERE person_id = ? AND revision = ?',
    );
  }

  // ---- authority side ------------------------------------------------------------------------

  /** Oldest changes first, so a long outage replays in the order people were changed. */
  unpublished(limit: number): PendingChange[] {
    return this.unpublishedStatement.all(Math.max(1, Math.floor(limit))).map((r) => ({
      personId: r.person_id,
      revision: r.revision,
      tombstone: r.tombstone === 1,
    }));
  }

  /** The person's latest revision in the journal, or null when it never existed here. */
  latest(personId: string): PendingChange | null {
    const row = this.outgoingStatement.get(personId);
    return row ? { personId, revision: row.revision, tombstone: row.tombstone === 1 } : null;
  }

  markPublished(personId: string, revision: number): void {
    this.markPublishedStatement.run(revision, personId);
  }

  /** After a site key rotation: everything still on the broker is to be sealed and published again. */
  markAllUnpublished(): number {
    this.db.prepare('UPDATE replication_policy SET published_revision = 0').run();
    return this.db.prepare('UPDATE replication_outgoing SET published_revision = 0 WHERE tombstone_cleared = 0').run().changes;
  }

  /** The policy document's revision, when it is newer than the one last published; else null. */
  unpublishedPolicy(): number | null {
    const row = this.db.prepare<[], { revision: number; published_revision: number }>('SELECT revision, published_revision FROM replication_policy WHERE id = 1').get();
    return row && row.revision > row.published_revision ? row.revision : null;
  }

  /** The policy document's current revision (read with the document, in the caller's transaction). */
  policyRevision(): number {
    return this.db.prepare<[], number>('SELECT revision FROM replication_policy WHERE id = 1').pluck().get() ?? 1;
  }

  markPolicyPublished(revision: number): void {
    this.db.prepare<[number]>('UPDATE replication_policy SET published_revision = max(published_revision, ?) WHERE id = 1').run(revision);
  }

  /** Registers a replica named in the config, so that it counts as pending before it ever reports. */
  expectReplica(replicaId: string): void {
    this.expectReplicaStatement.run(replicaId);
  }

  replicaSeen(replicaId: string, modelId: string | null, people: number | null, policyRevision: number | null = null): void {
    this.seenReplicaStatement.run({ id: replicaId, model: modelId, people, policy: policyRevision, at: this.now() });
  }

  replicas(): ReplicaRecord[] {
    return this.replicasStatement.all().map((r) => ({
      replicaId: r.replica_id,
      modelId: r.model_id,
      people: r.people,
      firstSeenAt: r.first_seen_at,
      lastSeenAt: r.last_seen_at,
      policyRevision: r.policy_revision,
    }));
  }

  /** Keeps the newest acknowledgement per person and replica; an older one arriving late changes nothing. */
  recordAck(ack: ReplicaAck): void {
    this.recordAckStatement.run({
      person_id: ack.personId,
      replica_id: ack.replicaId,
      revision: ack.revision,
      tombstone: ack.tombstone ? 1 : 0,
      erased: ack.erased ? 1 : 0,
      acked_at: this.now(),
    });
  }

  ackOf(personId: string, replicaId: string): ReplicaAck | null {
    const row = this.ackStatement.get(personId, replicaId);
    return row ? toAck(row) : null;
  }

  /** Deleted people, newest deletion first, with each known replica's confirmation. */
  erasures(options: { limit?: number; offset?: number } = {}): ErasureStatus[] {
    const replicas = this.replicas().map((r) => r.replicaId);
    return this.tombstonesStatement.all(pageSize(options.limit), pageOffset(options.offset)).map((row) => {
      const acks = new Map(this.acksForStatement.all(row.person_id).map((a) => [a.replica_id, a]));
      const confirmed: { replicaId: string; erased: boolean; at: number }[] = [];
      const pending: string[] = [];
      for (const replicaId of replicas) {
        const ack = acks.get(replicaId);
        if (ack && ack.tombstone === 1 && ack.revision >= row.revision) confirmed.push({ replicaId, erased: ack.erased === 1, at: ack.acked_at });
        else pending.push(replicaId);
      }
      return {
        personId: row.person_id,
        revision: row.revision,
        deletedAt: row.changed_at,
        confirmed,
        pending,
        tombstoneCleared: row.tombstone_cleared === 1,
      };
    });
  }

  countErasures(): number {
    return this.countTombstonesStatement.get() ?? 0;
  }

  /**
   * Published tombstones that every known replica has confirmed as erased: their retained
   * message can leave the broker. Never when no replica is known (nobody could have confirmed).
   */
  tombstonesReadyToClear(limit: number): PendingChange[] {
    const replicas = this.replicas().map((r) => r.replicaId);
    if (replicas.length === 0) return [];
    return this.unclearedTombstonesStatement
      .all(Math.max(1, Math.floor(limit)))
      .filter((row) => {
        const acks = new Map(this.acksForStatement.all(row.person_id).map((a) => [a.replica_id, a]));
        return replicas.every((id) => {
          const ack = acks.get(id);
          return ack !== undefined && ack.tombstone === 1 && ack.erased === 1 && ack.revision >= row.revision;
        });
      })
      .map((row) => ({ personId: row.person_id, revision: row.revision, tombstone: true }));
  }

  markTombstoneCleared(personId: string, revision: number): void {
    this.markClearedStatement.run(personId, revision);
  }

  // ---- replica side --------------------------------------------------------------------------

  applied(personId: string): AppliedRevision | null {
    const row = this.appliedStatement.get(personId);
    return row ? { authorityId: row.authority_id, revision: row.revision, tombstone: row.tombstone === 1 } : null;
  }

  recordApplied(personId: string, applied: AppliedRevision): void {
    this.recordAppliedStatement.run({
      person_id: personId,
      authority_id: applied.authorityId,
      revision: applied.revision,
      tombstone: applied.tombstone ? 1 : 0,
      at: this.now(),
    });
  }

  /** Applied changes whose acknowledgement has not reached the broker yet (oldest first). */
  unacknowledged(limit: number): PendingChange[] {
    return this.unacknowledgedStatement.all(Math.max(1, Math.floor(limit))).map((r) => ({
      personId: r.person_id,
      revision: r.revision,
      tombstone: r.tombstone === 1,
    }));
  }

  markAcknowledged(personId: string, revision: number): void {
    this.markAcknowledgedStatement.run(personId, revision);
  }

  /** The policy document revision this replica applied, and from which authority; null before the first. */
  appliedPolicy(): { authorityId: string; revision: number } | null {
    const row = this.db.prepare<[], { applied_authority: string | null; applied_revision: number }>(
      'SELECT applied_authority, applied_revision FROM replication_policy WHERE id = 1',
    ).get();
    return row && row.applied_authority !== null ? { authorityId: row.applied_authority, revision: row.applied_revision } : null;
  }

  recordAppliedPolicy(authorityId: string, revision: number): void {
    this.db.prepare<[string, number]>('UPDATE replication_policy SET applied_authority = ?, applied_revision = ? WHERE id = 1').run(authorityId, revision);
  }

  /** The groups the person's newest applied snapshot named, kept for when those groups arrive. */
  recordReplicatedGroups(personId: string, groupIds: readonly string[] | null): void {
    this.db.prepare<[string | null, string]>('UPDATE replication_applied SET group_ids = ? WHERE person_id = ?').run(groupIds === null ? null : JSON.stringify(groupIds), personId);
  }

  /**
   * After a policy document was applied (its groups replaced, their memberships cascaded away):
   * every replicated person is made a member again of each group their snapshot names and that
   * now exists. One statement, in the caller's transaction.
   */
  restoreReplicatedMemberships(): void {
    this.db
      .prepare(
        `INSERT OR IGNORE INTO access_memberships (person_id, group_id)
         SELECT a.person_id, g.value FROM replication_applied a, json_each(a.group_ids) g
         WHERE a.tombstone = 0 AND a.group_ids IS NOT NULL
           AND EXISTS (SELECT 1 FROM people p WHERE p.id = a.person_id)
           AND EXISTS (SELECT 1 FROM access_groups x WHERE x.id = g.value)`,
      )
      .run();
  }

  /** People present from replication (tombstones excluded). */
  countApplied(): number {
    return this.countAppliedStatement.get() ?? 0;
  }
}

function toAck(row: AckRow): ReplicaAck {
  return {
    personId: row.person_id,
    replicaId: row.replica_id,
    revision: row.revision,
    tombstone: row.tombstone === 1,
    erased: row.erased === 1,
  };
}
