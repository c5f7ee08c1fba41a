// The replication section: standalone by default; an authority or replica is refused at load
// time, with every missing piece named, when it lacks the site broker or its key files.
import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../firmware-config/load.js';

function problems(raw: unknown): readonly string[] {
  try {
    parseConfig(raw);
    return [];
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
}

describe('replication config', () => {
  it('is standalone with no keys by default', () => {
    expect(parseConfig({}).replication).toEqual({ role: 'standalone', siteId: 'site', replicas: [], sessionExpirySeconds: 14 * 24 * 3600 });
  });

  it('names every missing piece of a replica', () => {
    expect(problems({ replication: { role: 'replica' } })).toEqual([
      '/replication: a replica needs the site broker (mqtt.url), not the embedded one',
      '/replication/siteKeysFile: required for a replica',
      '/replication/authorityPublicKeyFile: required for a replica',
      '/replication/authorityId: required for a replica',
    ]);
  });

  it('needs the signing key on the authority, and refuses a replica that names itself as authority', () => {
    const mqtt = { url: 'mqtt://broker:1883' };
    expect(problems({ mqtt, replication: { role: 'authority', siteKeysFile: 'k.json' } })).toEqual(['/replication/signingKeyFile: required for the authority']);
    expect(
      problems({ applianceId: 'a', mqtt, replication: { role: 'replica', authorityId: 'a', siteKeysFile: 'k', authorityPublicKeyFile: 'p' } }),
    ).toEqual(['/replication/authorityId: a replica cannot be its own authority']);
  });

  it('rejects unknown keys and inline key material', () => {
    expect(problems({ replication: { role: 'authority', siteKey: 'c2VjcmV0' } })).toContain('/replication: unknown key "siteKey"');
  });
});
