// Zones, schedules and access groups share one rule: a name unique among its kind. This maps
// SQLite's unique violation on the name to STORE_CONFLICT, and checks the name's length.
import { isUniqueViolation, StoreError } from './errors.js';

const MAX_NAME_LENGTH = 100;

/** The trimmed name; STORE_INVALID_INPUT when empty or longer than 100 characters. */
export function validName(kind: string, name: string): string {
  const trimmed = typeof name === 'string' ? name.trim() : '';
  if (trimmed.length === 0 || trimmed.length > MAX_NAME_LENGTH) {
    throw new StoreError('STORE_INVALID_INPUT', `${kind} name must be 1..${MAX_NAME_LENGTH} characters`);
  }
  return trimmed;
}

/** Runs a write; a unique violation becomes STORE_CONFLICT naming the duplicate. */
export function writeNamed<T>(kind: string, name: string, run: () => T): T {
  try {
    return run();
  } catch (error) {
    if (isUniqueViolation(error)) throw new StoreError('STORE_CONFLICT', `another ${kind} is already named "${name}"`, { cause: error });
    throw error;
  }
}
