// Builds the appliance's replication role from its config: the persistent MQTT link, the key
// material, and the authority or replica over the core's gallery. Key files are read once at
// start; a missing or malformed key stops the start with a clear line (a replica that cannot
// check signatures must not run as if it could).
import type { Logger } from 'pino';
import type { Config } from '../firmware-config/schema.js';
import type { Gallery } from '../access/gallery.js';
import type { Embedder } from '../pipeline/embedder.js';
import type { Database } from '../store/database.js';
import { ReplicationAuthority } from '../replication/authority.js';
import { AuthoritySigner, AuthorityVerifier } from '../replication/authority-signature.js';
import { ReplicationReplica } from '../replication/replica.js';
import { SiteKeyring } from '../replication/site-keys.js';
import { ReplicationTopics } from '../replication/topics.js';
import { ReplicationLink } from './mqtt/replication-link.js';
import { readTlsMaterial } from './mqtt/tls-material.js';

export interface ReplicationService {
  readonly role: 'authority' | 'replica';
  readonly link: ReplicationLink;
  readonly authority: ReplicationAuthority | null;
  readonly replica: ReplicationReplica | null;
  stop(): Promise<void>;
}

/** What replication needs of the appliance's core (declared here so this module does not import appliance.ts). */
export interface ReplicationCore {
  readonly db: Database;
  readonly gallery: Gallery;
  readonly embedder: Embedder;
}

export function startReplication(config: Config, core: ReplicationCore, logger: Logger): ReplicationService | null {
  const { replication, mqtt, applianceId } = config;
  if (replication.role === 'standalone') return null;
  const log = logger.child({ component: 'replication' });
  const keys = SiteKeyring.load(replication.siteKeysFile!);
  const topics = new ReplicationTopics(mqtt.topicPrefix, replication.siteId);
  const tls = mqtt.tls ? readTlsMaterial(mqtt.tls) : undefined;
  const link = new ReplicationLink(
    {
      url: mqtt.url!,
      clientId: `maskgate-${applianceId}-replication`,
      keepaliveSeconds: mqtt.keepaliveSeconds,
      reconnectPeriodMs: mqtt.reconnectPeriodMs,
      sessionExpirySeconds: replication.sessionExpirySeconds,
      ...(mqtt.username !== undefined ? { username: mqtt.username } : {}),
      ...(mqtt.password !== undefined ? { password: mqtt.password } : {}),
      ...(tls ? { tls } : {}),
    },
    log,
  );
  const common = { site: replication.siteId, keys, transport: link, topics, db: core.db, logger: log };
  const authority =
    replication.role === 'authority'
      ? new ReplicationAuthority({
          ...common,
          authorityId: applianceId,
          signer: AuthoritySigner.load(replication.signingKeyFile!),
          expectedReplicas: replication.replicas,
        })
      : null;
  const replica =
    replication.role === 'replica'
      ? new ReplicationReplica({
          ...common,
          authorityId: replication.authorityId!,
          replicaId: applianceId,
          verifier: AuthorityVerifier.load(replication.authorityPublicKeyFile!),
          gallery: core.gallery,
          embedder: core.embedder,
        })
      : null;
  authority?.start();
  replica?.start();
  link.start();
  return {
    role: replication.role,
    link,
    authority,
    replica,
    async stop() {
      await authority?.stop();
      await replica?.stop();
      await link.stop();
    },
  };
}
