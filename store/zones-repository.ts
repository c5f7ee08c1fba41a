// Zones: named sets of door ids. Door ids come from the config, so they are plain text here;
// deleting a zone removes the grants on it (access only shrinks).
import type { Database } from './database.js';
import { NamedRows, type NamedRow } from './named-rows.js';

export interface ZoneRecord {
  readonly id: string;
  readonly name: string;
  readonly doorIds: readonly string[];
  readonly createdAt: number;
  readonly updatedAt: number;
}

export interface ZoneInput {
  readonly name: string;
  readonly doorIds: readonly string[];
}

export class ZonesRepository extends NamedRows<ZoneInput, ZoneRecord> {
  private readonly doorsStatement;
  private readonly addDoorStatement;
  private readonly clearDoorsStatement;
  private readonly byDoorStatement;
  private readonly allDoorsStatement;

  constructor(db: Database, now: () => number = Date.now) {
    super(db, 'access_zones', 'zone', now);
    this.doorsStatement = db.prepare<[string], string>('SELECT door_id FROM access_zone_doors WHERE zone_id = ? ORDER BY door_id').pluck();
    this.addDoorStatement = db.prepare<[string, string]>('INSERT OR IGNORE INTO access_zone_doors (zone_id, door_id) VALUES (?, ?)');
    this.clearDoorsStatement = db.prepare<[string]>('DELETE FROM access_zone_doors WHERE zone_id = ?');
    this.byDoorStatement = db.prepare<[string], string>('SELECT zone_id FROM access_zone_doors WHERE door_id = ? ORDER BY zone_id').pluck();
    this.allDoorsStatement = db.prepare<[], string>('SELECT DISTINCT door_id FROM access_zone_doors ORDER BY door_id').pluck();
  }

  zonesOfDoor(doorId: string): string[] {
    return this.byDoorStatement.all(doorId);
  }

  /** Every door id some zone names (they may have left the config since). */
  doorIdsInZones(): string[] {
    return this.allDoorsStatement.all();
  }

  protected writeParts(zoneId: string, input: ZoneInput): void {
    this.clearDoorsStatement.run(zoneId);
    for (const doorId of input.doorIds) this.addDoorStatement.run(zoneId, doorId);
  }

  protected toRecord(row: NamedRow): ZoneRecord {
    return { id: row.id, name: row.name, doorIds: this.doorsStatement.all(row.id), createdAt: row.created_at, updatedAt: row.updated_at };
  }
}
