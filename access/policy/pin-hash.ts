// PIN hashing with scrypt (node:crypto): a 4-12 digit PIN has at most 10^12 values, so the hash
// must be slow, salted per PIN and compared in constant time. The parameters travel inside the
// stored string so they can be raised later without invalidating existing PINs.
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

export const PIN_PATTERN = /^[0-9]{4,12}$/;

const PREFIX = 'scrypt';
const SALT_BYTES = 16;
const KEY_BYTES = 32;
/** N=2^15, r=8: 32 MiB and tens of milliseconds per check; OWASP's scrypt floor is N=2^17 for passwords, a PIN check is also rate-limited. */
const DEFAULT_COST = { N: 2 ** 15, r: 8, p: 1 } as const;

function derive(pin: string, salt: Buffer, cost: { N: number; r: number; p: number }): Promise<Buffer> {
  const options: ScryptOptions = { ...cost, maxmem: 256 * cost.N * cost.r };
  return new Promise((resolve, reject) => {
    scrypt(pin, salt, KEY_BYTES, options, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

/** `scrypt$N$r$p$<salt b64>$<key b64>`. Throws for a PIN that is not 4-12 digits. */
export async function hashPin(pin: string): Promise<string> {
  if (!PIN_PATTERN.test(pin)) throw new RangeError('a PIN is 4 to 12 digits');
  const salt = randomBytes(SALT_BYTES);
  const key = await derive(pin, salt, DEFAULT_COST);
  const { N, r, p } = DEFAULT_COST;
  return [PREFIX, N, r, p, salt.toString('base64'), key.toString('base64')].join('$');
}

/** True when `pin` matches `stored`; false for a wrong PIN or an unreadable hash. */
export async function verifyPin(pin: string, stored: string): Promise<boolean> {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== PREFIX) return false;
  const [N, r, p] = parts.slice(1, 4).map(Number) as [number, number, number];
  if (![N, r, p].every((n) => Number.isInteger(n) && n > 0)) return false;
  const salt = Buffer.from(parts[4]!, 'base64');
  const expected = Buffer.from(parts[5]!, 'base64');
  if (expected.length !== KEY_BYTES) return false;
  const actual = await derive(pin, salt, { N, r, p });
  return timingSafeEqual(actual, expected);
}
