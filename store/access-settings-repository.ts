// The site's access-policy settings (one row, seeded 'open' by the migration) and each door's
// factors (a door without a row is 'face').
import type { Database } from './database.js';

export type StoredPolicyMode = 'open' | 'enforced';
export type StoredDoorFactors = 'face' | 'face+pin';

export interface AccessSettingsRecord {
  readonly mode: StoredPolicyMode;
  readonly timeZone: string;
  readonly pin: { readonly entrySeconds: number; readonly maxAttempts: number; readonly lockoutSeconds: number };
}

interface SettingsRow {
  mode: StoredPolicyMode;
  time_zone: string;
  pin_entry_seconds: number;
  pin_max_attempts: number;
  pin_lockout_seconds: number;
}

export class AccessSettingsRepository {
  private readonly getStatement;
  private readonly updateStatement;
  private readonly factorsStatement;
  private readonly allFactorsStatement;
  private readonly setFactorsStatement;
  private readonly clearFactorsStatement;

  constructor(
    db: Database,
    private readonly now: () => number = Date.now,
  ) {
    this.getStatement = db.prepare<[], SettingsRow>(
      'SELECT mode, time_zone, pin_entry_seconds, pin_max_attempts, pin_lockout_seconds FROM access_settings WHERE id = 1',
    );
    this.updateStatement = db.prepare<[SettingsRow & { updated_at: number }]>(
      `UPDATE access_settings SET mode = @mode, time_zone = @time_zone, pin_entry_seconds = @pin_entry_seconds,
         pin_max_attempts = @pin_max_attempts, pin_lockout_seconds = @pin_lockout_seconds, updated_at = @updated_at
       WHERE id = 1`,
    );
    this.factorsStatement = db.prepare<[string], StoredDoorFactors>('SELECT factors FROM access_doors WHERE door_id = ?').pluck();
    this.allFactorsStatement = db.prepare<[], { door_id: string; factors: StoredDoorFactors }>('SELECT door_id, factors FROM access_doors');
    this.setFactorsStatement = db.prepare<[string, StoredDoorFactors]>(
      'INSERT INTO access_doors (door_id, factors) VALUES (?, ?) ON CONFLICT (door_id) DO UPDATE SET factors = excluded.factors',
    );
    this.clearFactorsStatement = db.prepare<[string]>('DELETE FROM access_doors WHERE door_id = ?');
  }

  get(): AccessSettingsRecord {
    const row = this.getStatement.get()!;
    return {
      mode: row.mode,
      timeZone: row.time_zone,
      pin: { entrySeconds: row.pin_entry_seconds, maxAttempts: row.pin_max_attempts, lockoutSeconds: row.pin_lockout_seconds },
    };
  }

  /** The caller validates the time zone and bounds (the store knows no time zone database). */
  update(settings: AccessSettingsRecord): AccessSettingsRecord {
    this.updateStatement.run({
      mode: settings.mode,
      time_zone: settings.timeZone,
      pin_entry_seconds: settings.pin.entrySeconds,
      pin_max_attempts: settings.pin.maxAttempts,
      pin_lockout_seconds: settings.pin.lockoutSeconds,
      updated_at: this.now(),
    });
    return this.get();
  }

  doorFactors(doorId: string): StoredDoorFactors {
    return this.factorsStatement.get(doorId) ?? 'face';
  }

  /** Doors whose factors were ever set (others are 'face'). */
  allDoorFactors(): Map<string, StoredDoorFactors> {
    return new Map(this.allFactorsStatement.all().map((row) => [row.door_id, row.factors]));
  }

  setDoorFactors(doorId: string, factors: StoredDoorFactors): void {
    if (factors === 'face') this.clearFactorsStatement.run(doorId);
    else this.setFactorsStatement.run(doorId, factors);
  }
}
