// Access groups: a name and grants (a zone on a schedule, or at any time). Deleting a group
// removes its grants and memberships.
import { randomUUID } from 'node:crypto';
import type { Database } from './database.js';
import { validName, writeNamed } from './named-rows.js';

export interface GrantRecord {
  readonly zoneId: string;
  /** null: at any time. */
  readonly scheduleId: string | null;
}

export interface GroupInput {
  readonly name: string;
  readonly grants: readonly GrantRecord[];
}

export interface GroupRecord extends GroupInput {
  readonly id: string;
  readonly memberCount: number;
  readonly createdAt: number;
  readonly updatedAt: number;
}

export interface GroupMember {
  readonly personId: string;
  readonly displayName: string;
}

interface GroupRow {
  id: string;
  name: string;
  created_at: number;
  updated_at: number;
}

export class AccessGroupsRepository {
  private readonly insertStatement;
  private readonly renameStatement;
  private readonly byIdStatement;
  private readonly listStatement;
  private readonly deleteStatement;
  private readonly grantsStatement;
  private readonly addGrantStatement;
  private readonly clearGrantsStatement;
  private readonly memberCountStatement;
  private readonly membersStatement;

  constructor(
    private readonly db: Database,
    private readonly now: () => number = Date.now,
  ) {
    this.insertStatement = db.prepare<[GroupRow]>('INSERT INTO access_groups (id, name, created_at, updated_at) VALUES (@id, @name, @created_at, @updated_at)');
    this.renameStatement = db.prepare<[{ id: string; name: string; updated_at: number }]>(
      'UPDATE access_groups SET name = @name, updated_at = @updated_at WHERE id = @id',
    );
    this.byIdStatement = db.prepare<[string], GroupRow>('SELECT id, name, created_at, updated_at FROM access_groups WHERE id = ?');
    this.listStatement = db.prepare<[], GroupRow>('SELECT id, name, created_at, updated_at FROM access_groups ORDER BY name');
    this.deleteStatement = db.prepare<[string]>('DELETE FROM access_groups WHERE id = ?');
    this.grantsStatement = db.prepare<[string], { zoneId: string; scheduleId: string | null }>(
      'SELECT zone_id AS zoneId, schedule_id AS scheduleId FROM access_grants WHERE group_id = ? ORDER BY zone_id',
    );
    this.addGrantStatement = db.prepare<[string, string, string | null]>(
      'INSERT INTO access_grants (group_id, zone_id, schedule_id) VALUES (?, ?, ?) ON CONFLICT (group_id, zone_id) DO UPDATE SET schedule_id = excluded.schedule_id',
    );
    this.clearGrantsStatement = db.prepare<[string]>('DELETE FROM access_grants WHERE group_id = ?');
    this.memberCountStatement = db.prepare<[string], number>('SELECT COUNT(*) FROM access_memberships WHERE group_id = ?').pluck();
    this.membersStatement = db.prepare<[string], GroupMember>(
      `SELECT p.id AS personId, p.display_name AS displayName FROM access_memberships m JOIN people p ON p.id = m.person_id
       WHERE m.group_id = ? ORDER BY p.display_name, p.id`,
    );
  }

  /** The caller checks that the zones and schedules exist (a foreign key refuses them otherwise). */
  create(input: GroupInput): GroupRecord {
    const at = this.now();
    const row: GroupRow = { id: randomUUID(), name: validName('group', input.name), created_at: at, updated_at: at };
    this.db.transaction(() => {
      writeNamed('group', row.name, () => this.insertStatement.run(row));
      this.writeGrants(row.id, input.grants);
    })();
    return this.get(row.id)!;
  }

  /** null when there is no such group. */
  replace(id: string, input: GroupInput): GroupRecord | null {
    const name = validName('group', input.name);
    const found = this.db.transaction(() => {
      const { changes } = writeNamed('group', name, () => this.renameStatement.run({ id, name, updated_at: this.now() }));
      if (changes === 0) return false;
      this.writeGrants(id, input.grants);
      return true;
    })();
    return found ? this.get(id) : null;
  }

  get(id: string): GroupRecord | null {
    const row = this.byIdStatement.get(id);
    return row ? this.toRecord(row) : null;
  }

  list(): GroupRecord[] {
    return this.listStatement.all().map((row) => this.toRecord(row));
  }

  /** False when there was no such group. */
  delete(id: string): boolean {
    return this.deleteStatement.run(id).changes > 0;
  }

  members(id: string): GroupMember[] {
    return this.membersStatement.all(id);
  }

  private writeGrants(groupId: string, grants: readonly GrantRecord[]): void {
    this.clearGrantsStatement.run(groupId);
    for (const grant of grants) this.addGrantStatement.run(groupId, grant.zoneId, grant.scheduleId);
  }

  private toRecord(row: GroupRow): GroupRecord {
    return {
      id: row.id,
      name: row.name,
      grants: this.grantsStatement.all(row.id),
      memberCount: this.memberCountStatement.get(row.id) ?? 0,
      createdAt: row.created_at,
      updatedAt: row.updated_at,
    };
  }
}
