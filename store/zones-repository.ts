// Zones: named sets of door ids. Door ids come from the config, so they are plain text here;
// deleting a zone removes the grants on it (access only shrinks).
import { randomUUID } from 'node:crypto';
import type { Database } from './database.js';
import { validName, writeNamed } from './named-rows.js';

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

interface ZoneRow {
  id: string;
  name: string;
  created_at: number;
  updated_at: number;
}

export class ZonesRepository {
  private readonly insertStatement;
  private readonly renameStatement;
  private readonly byIdStatement;
  private readonly listStatement;
  private readonly doorsStatement;
  private readonly addDoorStatement;
  private readonly clearDoorsStatement;
  private readonly deleteStatement;
  private readonly byDoorStatement;
  private readonly allDoorsStatement;

  constructor(
    private readonly db: Database,
    private readonly now: () => number = Date.now,
  ) {
    this.insertStatement = db.prepare<[ZoneRow]>('INSERT INTO access_zones (id, name, created_at, updated_at) VALUES (@id, @name, @created_at, @updated_at)');
    this.renameStatement = db.prepare<[{ id: string; name: string; updated_at: number }]>(
      'UPDATE access_zones SET name = @name, updated_at = @updated_at WHERE id = @id',
    );
    this.byIdStatement = db.prepare<[string], ZoneRow>('SELECT id, name, created_at, updated_at FROM access_zones WHERE id = ?');
    this.listStatement = db.prepare<[], ZoneRow>('SELECT id, name, created_at, updated_at FROM access_zones ORDER BY name');
    this.doorsStatement = db.prepare<[string], string>('SELECT door_id FROM access_zone_doors WHERE zone_id = ? ORDER BY door_id').pluck();
    this.addDoorStatement = db.prepare<[string, string]>('INSERT OR IGNORE INTO access_zone_doors (zone_id, door_id) VALUES (?, ?)');
    this.clearDoorsStatement = db.prepare<[string]>('DELETE FROM access_zone_doors WHERE zone_id = ?');
    this.deleteStatement = db.prepare<[string]>('DELETE FROM access_zones WHERE id = ?');
    this.byDoorStatement = db.prepare<[string], string>('SELECT zone_id FROM access_zone_doors WHERE door_id = ? ORDER BY zone_id').pluck();
    this.allDoorsStatement = db.prepare<[], string>('SELECT DISTINCT door_id FROM access_zone_doors ORDER BY door_id').pluck();
  }

  create(input: ZoneInput): ZoneRecord {
    const at = this.now();
    const row: ZoneRow = { id: randomUUID(), name: validName('zone', input.name), created_at: at, updated_at: at };
    this.db.transaction(() => {
      writeNamed('zone', row.name, () => this.insertStatement.run(row));
      this.writeDoors(row.id, input.doorIds);
    })();
    return this.get(row.id)!;
  }

  /** null when there is no such zone. */
  replace(id: string, input: ZoneInput): ZoneRecord | null {
    const name = validName('zone', input.name);
    const found = this.db.transaction(() => {
      const { changes } = writeNamed('zone', name, () => this.renameStatement.run({ id, name, updated_at: this.now() }));
      if (changes === 0) return false;
      this.writeDoors(id, input.doorIds);
      return true;
    })();
    return found ? this.get(id) : null;
  }

  get(id: string): ZoneRecord | null {
    const row = this.byIdStatement.get(id);
    return row ? this.toRecord(row) : null;
  }

  list(): ZoneRecord[] {
    return this.listStatement.all().map((row) => this.toRecord(row));
  }

  /** False when there was no such zone. */
  delete(id: string): boolean {
    return this.deleteStatement.run(id).changes > 0;
  }

  zonesOfDoor(doorId: string): string[] {
    return this.byDoorStatement.all(doorId);
  }

  /** Every door id some zone names (they may have left the config since). */
  doorIdsInZones(): string[] {
    return this.allDoorsStatement.all();
  }

  private writeDoors(zoneId: string, doorIds: readonly string[]): void {
    this.clearDoorsStatement.run(zoneId);
    for (const doorId of doorIds) this.addDoorStatement.run(zoneId, doorId);
  }

  private toRecord(row: ZoneRow): ZoneRecord {
    return { id: row.id, name: row.name, doorIds: this.doorsStatement.all(row.id), createdAt: row.created_at, updatedAt: row.updated_at };
  }
}
