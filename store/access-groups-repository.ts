// Access groups: a name and grants (a zone on a schedule, or at any time). Deleting a group
// removes its grants and memberships. The caller checks that granted zones and schedules exist
// (a foreign key refuses them otherwise).
import type { Database } from './database.js';
import { NamedRows, type NamedRow } from './named-rows.js';

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

export class AccessGroupsRepository extends NamedRows<GroupInput, GroupRecord> {
  private readonly grantsStatement;
  private readonly addGrantStatement;
  private readonly clearGrantsStatement;
  private readonly memberCountStatement;
  private readonly membersStatement;

  constructor(db: Database, now: () => number = Date.now) {
    super(db, 'access_groups', 'group', now);
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

  members(id: string): GroupMember[] {
    return this.membersStatement.all(id);
  }

  protected writeParts(groupId: string, input: GroupInput): void {
    this.clearGrantsStatement.run(groupId);
    for (const grant of input.grants) this.addGrantStatement.run(groupId, grant.zoneId, grant.scheduleId);
  }

  protected toRecord(row: NamedRow): GroupRecord {
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
