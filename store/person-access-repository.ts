// A person's side of the policy: group memberships and validity, and the one query the
// decision path runs per recognised face: which schedules of their grants cover a door.
import type { Database } from './database.js';
import { StoreError } from './errors.js';
import type { StoredTimeRange, StoredWeeklyWindow } from './schedules-repository.js';

export interface ValidityRecord {
  /** Inclusive, epoch ms. */
  readonly validFrom: number | null;
  /** Exclusive, epoch ms. */
  readonly validUntil: number | null;
}

/** The rules of one grant covering a door; null: the grant holds at any time. */
export type DoorGrantRules = { readonly windows: StoredWeeklyWindow[]; readonly holidayWindows: StoredTimeRange[] | null } | null;

export class PersonAccessRepository {
  private readonly groupsStatement;
  private readonly clearGroupsStatement;
  private readonly addGroupStatement;
  private readonly validityStatement;
  private readonly setValidityStatement;
  private readonly clearValidityStatement;
  private readonly doorGrantsStatement;

  constructor(private readonly db: Database) {
    this.groupsStatement = db.prepare<[string], string>('SELECT group_id FROM access_memberships WHERE person_id = ? ORDER BY group_id').pluck();
    this.clearGroupsStatement = db.prepare<[string]>('DELETE FROM access_memberships WHERE person_id = ?');
    this.addGroupStatement = db.prepare<[string, string]>('INSERT OR IGNORE INTO access_memberships (person_id, group_id) VALUES (?, ?)');
    this.validityStatement = db.prepare<[string], { valid_from: number | null; valid_until: number | null }>(
      'SELECT valid_from, valid_until FROM access_validity WHERE person_id = ?',
    );
    this.setValidityStatement = db.prepare<[string, number | null, number | null]>(
      `INSERT INTO access_validity (person_id, valid_from, valid_until) VALUES (?, ?, ?)
       ON CONFLICT (person_id) DO UPDATE SET valid_from = excluded.valid_from, valid_until = excluded.valid_until`,
    );
    this.clearValidityStatement = db.prepare<[string]>('DELETE FROM access_validity WHERE person_id = ?');
    this.doorGrantsStatement = db.prepare<[{ personId: string; doorId: string }], { windows: string | null; holiday_windows: string | null; schedule_id: string | null }>(
      `SELECT g.schedule_id, s.windows, s.holiday_windows
       FROM access_memberships m
       JOIN access_grants g ON g.group_id = m.group_id
       JOIN access_zone_doors d ON d.zone_id = g.zone_id AND d.door_id = @doorId
       LEFT JOIN access_schedules s ON s.id = g.schedule_id
       WHERE m.person_id = @personId`,
    );
  }

  groupIds(personId: string): string[] {
    return this.groupsStatement.all(personId);
  }

  validity(personId: string): ValidityRecord {
    const row = this.validityStatement.get(personId);
    return { validFrom: row?.valid_from ?? null, validUntil: row?.valid_until ?? null };
  }

  /**
   * Replaces the person's groups and validity in one transaction. The caller checks that the
   * person and groups exist; STORE_INVALID_INPUT when validUntil is not after validFrom.
   */
  replace(personId: string, groupIds: readonly string[], validity: ValidityRecord): void {
    const { validFrom, validUntil } = validity;
    if (validFrom !== null && validUntil !== null && validUntil <= validFrom) {
      throw new StoreError('STORE_INVALID_INPUT', 'validUntil must be after validFrom');
    }
    this.db.transaction(() => {
      this.clearGroupsStatement.run(personId);
      for (const groupId of groupIds) this.addGroupStatement.run(personId, groupId);
      if (validFrom === null && validUntil === null) this.clearValidityStatement.run(personId);
      else this.setValidityStatement.run(personId, validFrom, validUntil);
    })();
  }

  /** One entry per grant of the person's groups whose zone contains the door. */
  doorGrants(personId: string, doorId: string): DoorGrantRules[] {
    return this.doorGrantsStatement.all({ personId, doorId }).map((row) =>
      row.schedule_id === null
        ? null
        : {
            windows: JSON.parse(row.windows!) as StoredWeeklyWindow[],
            holidayWindows: row.holiday_windows === null ? null : (JSON.parse(row.holiday_windows) as StoredTimeRange[]),
          },
    );
  }
}
