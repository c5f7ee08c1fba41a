// PIN hashes for face+pin doors, with the failed-attempt count and lockout kept beside them so
// a restart does not hand a guesser fresh attempts. The hash format belongs to access/policy.
import type { Database } from './database.js';

export interface PinRecord {
  readonly hash: string;
  readonly failedAttempts: number;
  readonly lockedUntil: number | null;
}

export class PinsRepository {
  private readonly getStatement;
  private readonly setStatement;
  private readonly clearStatement;
  private readonly failuresStatement;

  constructor(
    db: Database,
    private readonly now: () => number = Date.now,
  ) {
    this.getStatement = db.prepare<[string], { hash: string; failed_attempts: number; locked_until: number | null }>(
      'SELECT hash, failed_attempts, locked_until FROM access_pins WHERE person_id = ?',
    );
    this.setStatement = db.prepare<[string, string, number]>(
      `INSERT INTO access_pins (person_id, hash, failed_attempts, locked_until, updated_at) VALUES (?, ?, 0, NULL, ?)
       ON CONFLICT (person_id) DO UPDATE SET hash = excluded.hash, failed_attempts = 0, locked_until = NULL, updated_at = excluded.updated_at`,
    );
    this.clearStatement = db.prepare<[string]>('DELETE FROM access_pins WHERE person_id = ?');
    this.failuresStatement = db.prepare<[number, number | null, number, string]>(
      'UPDATE access_pins SET failed_attempts = ?, locked_until = ?, updated_at = ? WHERE person_id = ?',
    );
  }

  get(personId: string): PinRecord | null {
    const row = this.getStatement.get(personId);
    return row ? { hash: row.hash, failedAttempts: row.failed_attempts, lockedUntil: row.locked_until } : null;
  }

  /** Stores a new hash and clears any lockout. The person must exist (foreign key). */
  set(personId: string, hash: string): void {
    this.setStatement.run(personId, hash, this.now());
  }

  clear(personId: string): void {
    this.clearStatement.run(personId);
  }

  recordAttempts(personId: string, failedAttempts: number, lockedUntil: number | null): void {
    this.failuresStatement.run(failedAttempts, lockedUntil, this.now(), personId);
  }
}
